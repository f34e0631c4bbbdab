"""The one stored form of an email address, so every way of writing it finds the same lead.

An address is NFC-normalised and trimmed, its local part lower-cased, and its domain encoded
with IDNA 2008 (UTS 46 mapping) as lower-case ASCII: `Bob@Bücher.example` and
`bob@xn--bcher-kva.example` are one lead. The stored form is plain ASCII, so it satisfies the
lead table's check that an email equals its own trimmed lower-case form on every database.
"""

import unicodedata

import idna

# RFC 5321 caps an address at 254 octets once encoded; an internationalised domain is longer
# before IDNA, so input is refused only past 320 characters, before any IDNA work.
EMAIL_MAX = 320


class EmailInvalid(ValueError):
    pass


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
    local = local.lower()
    # Internationalised local parts (RFC 6531) are rare and most mail servers refuse them;
    # Django's validator matches case-insensitively and would let `ſ` pass for an `s`.
    if not local.isascii():
        raise EmailInvalid("The part before @ must be ASCII.")
    return f"{local}@{ascii_domain}"
