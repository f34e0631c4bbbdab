"""Reads of customers, scoped to who may see them: managers all, reps what is theirs."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from crm.models import User
from leads.models import Lead

from .models import Company, Contact, Deal


def contact_visible_to(user: User) -> QuerySet[Contact]:
    """A rep sees the contacts they own, and those their leads converted into or their deals
    are with: conversion reuses a contact by email, whoever owns it."""
    contacts = Contact.objects.all()
    if not user.is_rep or user.is_manager:
        return _owned(contacts, user)
    return contacts.filter(
        Q(owner=user)
        | Exists(Lead.objects.filter(contact=OuterRef("pk"), assigned_to=user))
        | Exists(Deal.objects.filter(contact=OuterRef("pk"), owner=user))
    )


def deal_visible_to(user: User) -> QuerySet[Deal]:
    return _owned(Deal.objects.all(), user)


def company_visible_to(user: User) -> QuerySet[Company]:
    """A rep sees the companies they own, and those holding a contact or deal of theirs.

    Conversions reuse a company by name or domain, so a rep's contact and deal may point at
    a company another rep created first; hiding it would leave them links they cannot open.
    """
    companies = Company.objects.all()
    if not user.is_rep or user.is_manager:
        return _owned(companies, user)
    return companies.filter(
        Q(owner=user)
        | Exists(Contact.objects.filter(company=OuterRef("pk"), owner=user))
        | Exists(Deal.objects.filter(company=OuterRef("pk"), owner=user))
    )


def _owned(records: QuerySet, user: User) -> QuerySet:
    if user.is_manager:
        return records
    if user.is_rep:
        return records.filter(owner=user)
    return records.none()
