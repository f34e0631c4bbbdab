"""The one stored form of an email address, so every way of writing it finds the same lead.

An address is NFC-normalised and trimmed, its local part lower-cased and unquoted when the
quotes are not needed (`"bob"@example.com` is `bob@example.com`), and its domain encoded
with IDNA 2008 (UTS 46 mapping) as lower-case ASCII: `Bob@Bücher.example` and
`bob@xn--bcher-kva.example` are one lead. A domain without a dot (`localhost`) is refused:
no mail from the internet reaches it. The stored form is plain ASCII, so it satisfies the
lead table's check that an email equals its own trimmed lower-case form on every database.
"""

import re
import unicodedata

import idna

# RFC 5321 caps an address at 254 octets once encoded; an internationalised domain is longer
# before IDNA, so input is refused only past 320 characters, before any IDNA work.
EMAIL_MAX = 320


# RFC 5322 dot-atom: what a local part may be without quotes.
_ATEXT = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*\Z")
_QUOTED_PAIR = re.compile(r"\\(.)")


class EmailInvalid(ValueError):
    pass


def _local_unquote(local: str) -> str:
    """`"bob"` as `bob`: a quoted local part names the same mailbox as its unquoted form,
    when it has one. Quotes that are needed (`"a..b"`) stay."""
    if len(local) < 2 or not (local.startswith('"') and local.endswith('"')):
        return local
    unquoted = _QUOTED_PAIR.sub(r"\1", local[1:-1])
    return unquoted if _DOT_ATOM.match(unquoted) else local


def email_normalize(email: str) -> str:
    """The stored form of `email`; raises EmailInvalid when it has none.

    Text without an `@` is returned trimmed and lower-cased, for a validator to refuse.
    """
    email = unicodedata.normalize("NFC", email).strip()
    if len(email) > EMAIL_MAX:
        raise EmailInvalid("Email address is too long.")
    local, at, domain = email.rpartition("@")
    if not at:
        return email.lower()
    try:
        ascii_domain = idna.encode(domain, uts46=True, std3_rules=True).decode("ascii")
    except (UnicodeError, ValueError) as exc:
        raise EmailInvalid(f"The domain of this email address is not valid: {exc}") from None
    if "." not in ascii_domain.strip("."):
        raise EmailInvalid("The domain of this email address needs a dot, as in example.com.")
    local = _local_unquote(local.lower())
    # Internationalised local parts (RFC 6531) are rare and most mail servers refuse them;
    # Django's validator matches case-insensitively and would let `ſ` pass for an `s`.
    if not local.isascii():
        raise EmailInvalid("The part before @ must be ASCII.")
    return f"{local}@{ascii_domain}"
