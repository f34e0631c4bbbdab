"""Converting a qualified lead into a contact, a company and a deal: all of it or none."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower, Trim

from crm.models import User
from leads.models import Lead
from leads.services import lead_mark_converted

from .models import Company, Contact, Deal, DealStage

# Addresses at these domains say nothing about the company a lead works for.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "mail.ru",
        "yandex.ru",
        "yandex.com",
        "zoho.com",
        "qq.com",
        "163.com",
        "fastmail.com",
        "hey.com",
    }
)


class ConversionRefused(ValueError):
    """The lead cannot be converted (already converted, or not qualified)."""


@dataclass(frozen=True)
class Conversion:
    contact: Contact
    company: Company | None
    deal: Deal | None


def email_domain(email: str) -> str:
    domain = email.rpartition("@")[2].lower()
    return "" if domain in FREE_MAIL_DOMAINS else domain


def lead_convert(
    *,
    lead: Lead,
    by: User,
    create_opportunity: bool = True,
    deal_name: str = "",
    amount: Decimal | None = None,
    close_date: date | None = None,
    force: bool = False,
) -> Conversion:
    """Convert in one transaction; anything failing half-way leaves nothing behind.

    Only a qualified lead converts, unless a manager forces it. An existing contact with the
    lead's email and an existing company (same name ignoring case and space, or the same
    business email domain) are reused, so two leads from one company end at one company.
    """
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if lead.converted:
            raise ConversionRefused("This lead is already converted.")
        if not lead.qualified and not (force and by.is_manager):
            raise ConversionRefused(
                "Only qualified leads convert: qualify it first (a manager may force it)."
            )
        owner = lead.assigned_to or by
        company = company_get_or_create(lead=lead, owner=owner) if lead.company.strip() else None
        contact = contact_get_or_create(lead=lead, owner=owner, company=company)
        deal = None
        if create_opportunity:
            deal = Deal.objects.create(
                name=deal_name
                or f"{lead.company.strip() or lead.last_name or lead.email} - Opportunity",
                contact=contact,
                company=company,
                owner=owner,
                stage=DealStage.QUALIFICATION,
                amount=amount,
                close_date=close_date,
            )
        lead_mark_converted(
            lead=lead,
            contact_id=contact.pk,
            by=by,
            details={
                "contact": str(contact.pk),
                "company": str(company.pk) if company else None,
                "deal": str(deal.pk) if deal else None,
                "forced": bool(force and not lead.qualified),
            },
        )
    return Conversion(contact=contact, company=company, deal=deal)


def company_get_or_create(*, lead: Lead, owner: User) -> Company:
    """The lead's company: an existing one of the same name (ignoring case and spacing) or,
    failing that, of the lead's business email domain; else a new one from the lead's
    firmographics. Runs inside `lead_convert`'s transaction."""
    name = " ".join(lead.company.split())
    domain = email_domain(lead.email)
    existing: Company | None = (
        Company.objects.annotate(key=Lower(Trim("name"))).filter(key=name.lower()).first()
    )
    if existing is None and domain:
        existing = Company.objects.filter(domain=domain).order_by("created_at").first()
    if existing is not None:
        return existing
    try:
        # A savepoint: a concurrent conversion may create the same company first.
        with transaction.atomic():
            return Company.objects.create(
                name=name,
                domain=domain,
                industry=lead.industry,
                employee_count=lead.employee_count,
                annual_revenue=lead.annual_revenue,
                owner=owner,
            )
    except IntegrityError:
        return Company.objects.annotate(key=Lower(Trim("name"))).get(key=name.lower())


def contact_get_or_create(*, lead: Lead, owner: User, company: Company | None) -> Contact:
    """The contact with the lead's email, created from the lead if there is none; an existing
    contact without a company is given this one. Runs inside `lead_convert`'s transaction."""
    contact = Contact.objects.filter(email=lead.email).first()
    if contact is None:
        try:
            with transaction.atomic():
                return Contact.objects.create(
                    first_name=lead.first_name,
                    last_name=lead.last_name,
                    email=lead.email,
                    phone=lead.phone,
                    title=lead.title,
                    company=company,
                    owner=owner,
                )
        except IntegrityError:
            contact = Contact.objects.get(email=lead.email)
    if company is not None and contact.company_id is None:
        contact.company = company
        contact.save(update_fields=["company", "updated_at"])
    return contact
