"""Demo data in every state a lead can be in, made by the services that make them in use.

The demo drives every app (routing, nurturing, conversion), so it lives in conversion, the
app on top that may import all the others. Services stamp their rows with the current time; a demo needs
weeks of history, so each lead's story is moved back in time afterwards, timestamps only.
"""

import logging
import random
from argparse import ArgumentParser
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F
from django.test.utils import override_settings
from django.utils import timezone

from assignment.models import NurtureEnrollment, NurtureStepRun
from assignment.services import leads_escalate_overdue
from conversion.models import Company, Contact, Deal
from conversion.services import lead_convert
from crm.models import Role, User
from crm.services import user_upsert
from leads.models import ActivityType, CaptureForm, Channel, Lead, LeadActivity, LeadStatus, Task
from leads.services import (
    Bant,
    lead_activity_log,
    lead_assign,
    lead_capture,
    lead_qualify,
    lead_unsubscribe,
    lead_update,
)

DEMO_PASSWORD = "crm-demo-2026"
PEOPLE = [
    ("maria", "Maria", "Okafor", Role.MANAGER),
    ("sam", "Sam", "Lindqvist", Role.REP),
    ("riley", "Riley", "Chen", Role.REP),
    ("jordan", "Jordan", "Alvarez", Role.REP),
]
FIRST = [
    "Ava",
    "Ben",
    "Chloe",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Isla",
    "Jonas",
    "Kofi",
    "Lena",
    "Mateo",
    "Nora",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Uma",
    "Victor",
    "Wen",
    "Yusuf",
    "Zoe",
]
LAST = [
    "Adams",
    "Baker",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Novak",
    "Okoye",
    "Patel",
    "Quispe",
    "Rossi",
    "Sato",
    "Tanaka",
    "Ueda",
    "Vargas",
    "Weber",
    "Xu",
    "Young",
    "Zimmer",
]
COMPANIES = [
    ("Northwind Traders", "northwind.com", "Retail"),
    ("Acme Analytics", "acme-analytics.io", "Technology"),
    ("Bluebird Health", "bluebirdhealth.org", "Healthcare"),
    ("Cobalt Capital", "cobaltcap.com", "Finance"),
    ("Delta Logistics", "deltalog.com", "Logistics"),
    ("Evergreen University", "evergreen.edu", "Education"),
    ("Fjord Energy", "fjord-energy.no", "Energy"),
    ("Granite Software", "granitesoft.com", "Technology"),
    ("Harbor City Council", "harborcity.gov", "Government"),
    ("Ionic Labs", "ioniclabs.com", "Technology"),
    ("Juniper Insurance", "juniperins.com", "Finance"),
    ("Kestrel Manufacturing", "kestrelmfg.com", "Manufacturing"),
]
TITLES = [
    "Director of Sales",
    "VP Marketing",
    "C-level Executive",
    "Engineer",
    "Operations Manager",
    "Analyst",
    "Head of IT",
    "Procurement Lead",
    "",
]
# (employees, annual revenue) pairs that belong together.
SIZES = [
    (8, 400_000),
    (40, 3_000_000),
    (150, 12_000_000),
    (600, 60_000_000),
    (2500, 250_000_000),
    (12000, 1_500_000_000),
]
SOURCES = ["website_form", "live_chat", "api", "webinar", "referral", "trade_show"]
BEHAVIOUR = [
    ActivityType.EMAIL_OPENED,
    ActivityType.EMAIL_CLICKED,
    ActivityType.PAGE_VIEWED,
    ActivityType.DEMO_REQUESTED,
]


FREE_MAIL = ["gmail.com", "outlook.com", "proton.me"]
CAPTURE_TYPES = [ActivityType.CAPTURED, ActivityType.FORM_SUBMITTED, ActivityType.CHAT_STARTED]
NURTURE_TYPES = [ActivityType.NURTURE_ENROLLED, ActivityType.NURTURE_STEP]
HISTORY_DAYS = 56

# What happens to a lead after capture and routing. The first stories are fixed so that every
# state is there even in a small demo (--leads 30); the rest are drawn at random.
FIXED_FATES = [
    "unassigned",  # no company, free-mail address
    "convert",  # at Northwind Traders, for the first rep
    "convert",  # at Northwind Traders, for the second rep: one company, two reps' contacts
    "ignore",  # assigned, never answered: escalated
    "bant",
    "disqualify",
    "unsubscribe",
    "convert",  # no company: a contact without one
    "contacted",
    "respond",
]
FATES = ["respond", "contacted", "bant", "disqualify", "convert", "ignore", "unsubscribe"]
FATE_WEIGHTS = [30, 20, 10, 10, 15, 8, 7]


@dataclass
class Story:
    lead: Lead
    created_at: datetime
    fate: str


class Command(BaseCommand):
    help = (
        "Load demo data: a manager, three reps, a web form and 200 leads in every "
        "state, over eight weeks."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--leads", type=int, default=200)
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if any lead exists."
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Load even with DEBUG off (the demo users share a published password).",
        )

    def handle(
        self, *args: Any, leads: int, if_empty: bool, allow_production: bool, **options: Any
    ) -> None:
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "Refusing to load demo users with a published password while DEBUG is off; "
                "pass --allow-production to do it anyway."
            )
        if if_empty and Lead.objects.exists():
            self.stdout.write("Demo data already loaded.")
            return
        # The demo leads' addresses are made up, and each would get nurture emails and each
        # rep an email per assignment: on the console of `make run`, or from a real server.
        # Tasks run in-process under `make run`; a line per task would bury the sign-in line.
        trace = logging.getLogger("celery.app.trace")
        level = trace.level
        trace.setLevel(logging.WARNING)
        try:
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
                created = self._load(random.Random(2026), leads)
                # Scores come from the scoring rules; after the move back in time, behaviour
                # that fell out of a rule's window no longer counts.
                call_command("rescore_leads", stdout=StringIO())
        finally:
            trace.setLevel(level)
        self.stdout.write(self.style.SUCCESS(f"Loaded {created} demo leads."))
        self.stdout.write(
            f"Users: maria (manager), sam, riley and jordan (reps); password {DEMO_PASSWORD}."
        )

    def _load(self, rng: random.Random, count: int) -> int:
        users = {}
        for username, first, last, role in PEOPLE:
            user, _ = user_upsert(
                username=username,
                role=role,
                email=f"{username}@crm.example",
                password=DEMO_PASSWORD,
            )
            user.first_name, user.last_name = first, last
            user.save(update_fields=["first_name", "last_name"])
            users[username] = user
        manager = users["maria"]
        reps = [u for u in users.values() if u.role == Role.REP]
        CaptureForm.objects.get_or_create(
            name="Website contact form",
            defaults={"success_url": "https://www.example.com/thanks/"},
        )
        now = timezone.now()
        stories = [story for i in range(count) if (story := self._capture(rng, i, now)) is not None]
        # Capture scored and routed each lead: hot ones went to a rep, cold ones to nurturing.
        for story in stories:
            story.lead.refresh_from_db()
            self._backdate_capture(rng, story)
        for i, story in enumerate(stories):
            self._work(rng, i, story, manager, reps, now)
        # Leads nobody answered within the SLA: managers are told and the lead moves on.
        leads_escalate_overdue(now=now)
        return len(stories)

    def _capture(self, rng: random.Random, i: int, now: datetime) -> Story | None:
        fate = FIXED_FATES[i] if i < len(FIXED_FATES) else rng.choices(FATES, FATE_WEIGHTS)[0]
        first, last = rng.choice(FIRST), rng.choice(LAST)
        if i in (1, 2):
            company, domain, industry = COMPANIES[0]
        elif i in (0, 7) or rng.random() < 0.1:
            company, domain, industry = "", rng.choice(FREE_MAIL), ""
        else:
            company, domain, industry = rng.choice(COMPANIES)
        email = f"{first}.{last}{i}@{domain}".lower()
        if Lead.objects.filter(email=email).exists():
            return None
        # Leads a rep works are mostly ones routing hands out: hot on arrival. Leads left
        # alone or unsubscribing are cold, or routing would hand them out too.
        cold = fate in ("unassigned", "unsubscribe")
        hot = fate in ("convert", "bant", "ignore") or (not cold and rng.random() < 0.35)
        employees, revenue = rng.choice(SIZES[3:] if hot else SIZES[:2] if cold else SIZES)
        title = rng.choice(TITLES[:3] if hot else TITLES[3:] if cold else TITLES)
        channel = rng.choices([Channel.FORM, Channel.API, Channel.CHAT], [70, 22, 8])[0]
        if fate == "unassigned":
            channel = Channel.FORM
        created_at = now - timedelta(days=rng.uniform(0.05, HISTORY_DAYS))
        age = (now - created_at).total_seconds()
        behaviour = rng.choices(
            BEHAVIOUR[:3] if cold else BEHAVIOUR, k=rng.randint(2, 5) if hot else rng.randint(0, 3)
        )
        # One transaction: the lead is scored and routed once, after its history is in. The
        # marketing history is what a tool would have reported before (the events API), in bulk.
        with transaction.atomic():
            lead = lead_capture(
                email=email,
                channel=channel,
                source=rng.choice(SOURCES),
                values={
                    "first_name": first,
                    "last_name": last,
                    "phone": f"+1 555 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                    "company": company,
                    "title": title,
                    "industry": industry,
                    "employee_count": employees if company else None,
                    "annual_revenue": Decimal(revenue) if company else None,
                },
                message="I'd like to see a demo for my team.",
            ).lead
            LeadActivity.objects.bulk_create(
                LeadActivity(
                    lead=lead,
                    type=kind,
                    created_at=created_at + timedelta(seconds=rng.uniform(0, age)),
                )
                for kind in behaviour
            )
        return Story(lead=lead, created_at=created_at, fate=fate)

    def _backdate_capture(self, rng: random.Random, story: Story) -> None:
        lead, created_at = story.lead, story.created_at
        fields = {"created_at": created_at}
        if lead.assigned_at:
            fields["assigned_at"] = created_at + timedelta(minutes=rng.randint(1, 30))
            self._shift(lead, ActivityType.ASSIGNED, fields["assigned_at"], tasks=True)
        if lead.qualified_at:
            fields["qualified_at"] = created_at + timedelta(minutes=1)
            # Scoring qualified the lead before routing assigned it, so its discovery call is
            # older than the assignment and stayed behind when the assignment's tasks moved:
            # the tasks still at load time are the qualification's.
            self._shift(lead, ActivityType.QUALIFIED, fields["qualified_at"], tasks=True)
        self._set(lead, **fields)
        LeadActivity.objects.filter(lead=lead, type__in=CAPTURE_TYPES).update(created_at=created_at)
        self._nurture_shift(lead, created_at + timedelta(minutes=1))

    def _work(
        self,
        rng: random.Random,
        i: int,
        story: Story,
        manager: User,
        reps: list[User],
        now: datetime,
    ) -> None:
        lead, fate = story.lead, story.fate
        if fate == "unassigned":
            return
        if fate == "unsubscribe":
            if lead.assigned_to_id is None:
                lead_unsubscribe(lead=lead, how="link")
                self._shift(
                    lead, ActivityType.UNSUBSCRIBED, self._after(rng, lead.created_at, now, 2, 240)
                )
            return
        if lead.assigned_to_id is None:
            if fate == "respond" and rng.random() < 0.5:
                return  # left with nurturing, unassigned
            # A manager hands a lead routing left alone to a rep (the first two fixed ones
            # to two different reps).
            rep = reps[i % len(reps)] if i < len(FIXED_FATES) else rng.choice(reps)
            assigned = self._after(rng, lead.created_at, now, 1, 48)
            lead = lead_assign(lead=lead, to=rep, by=manager, reason="demo", now=assigned)
            self._nurture_exit_shift(lead, assigned, since=assigned)
            # The follow-ups are due from `assigned` already; they were written at load time.
            Task.objects.filter(lead=lead, created_at__gte=assigned).update(created_at=assigned)
        elif i in (1, 2) and lead.assigned_to_id != reps[i - 1].pk:
            lead = lead_assign(lead=lead, to=reps[i - 1], by=manager, now=lead.assigned_at)
        owner, assigned_at = lead.assigned_to, lead.assigned_at
        if owner is None or assigned_at is None:
            raise CommandError(f"Demo lead {lead.pk} has no owner after its assignment.")
        if fate == "ignore":
            return
        responded = self._after(rng, assigned_at, now, 0.2, 30)
        lead_activity_log(
            lead=lead,
            type=rng.choice([ActivityType.CALL, ActivityType.EMAIL_SENT]),
            description="Introduced myself and asked about their timeline.",
            by=owner,
            occurred_at=responded,
        )
        lead.refresh_from_db()
        if fate == "contacted" and lead.lead_status == LeadStatus.NEW:
            lead_update(lead=lead, data={"lead_status": "contacted"}, by=owner)
            return
        if fate == "respond":
            return
        decided = self._after(rng, responded, now, 4, 24 * 7)
        if fate in ("bant", "disqualify") or (fate == "convert" and not lead.qualified):
            yes = fate != "disqualify"
            lead_qualify(
                lead=lead,
                bant=Bant(
                    has_budget=yes,
                    has_authority=yes or rng.random() < 0.5,
                    has_need=True,
                    has_timeline=yes,
                    notes="Budget approved for Q3." if yes else "No budget this year.",
                ),
                by=owner,
            )
            kind = ActivityType.QUALIFIED if yes else ActivityType.DISQUALIFIED
            self._shift(lead, kind, decided, tasks=yes)
            self._set(lead, qualified_at=decided if yes else None)
        if fate != "convert":
            return
        converted = self._after(rng, max(decided, lead.qualified_at or decided), now, 4, 24 * 10)
        result = lead_convert(
            lead=lead,
            by=owner,
            amount=Decimal(rng.choice([4_800, 12_000, 18_500, 36_000, 75_000, 140_000])),
            close_date=(converted + timedelta(days=rng.randint(14, 90))).date(),
        )
        self._shift(lead, ActivityType.CONVERTED, converted, tasks=False)
        self._set(lead, converted_at=converted)
        made: list[Contact | Deal | Company | None] = [result.contact, result.deal, result.company]
        for row in made:
            if row is not None:
                type(row)._default_manager.filter(pk=row.pk, created_at__gt=converted).update(
                    created_at=converted, updated_at=converted
                )

    @staticmethod
    def _after(
        rng: random.Random, start: datetime, now: datetime, low_hours: float, high_hours: float
    ) -> datetime:
        """A moment some hours after `start`, never in the future."""
        return min(now, start + timedelta(hours=rng.uniform(low_hours, high_hours)))

    @staticmethod
    def _set(lead: Lead, **fields: Any) -> None:
        # Timestamps only: the owner, status and score the services wrote stay as they are.
        Lead.objects.filter(pk=lead.pk).update(**fields)
        for name, value in fields.items():
            setattr(lead, name, value)

    @staticmethod
    def _nurture_exit_shift(lead: Lead, at: datetime, since: datetime) -> None:
        """Nurturing records a lead's exit once the call that ended it commits, at the time of
        loading: move an exit recorded since `since` to when that call happened."""
        LeadActivity.objects.filter(
            lead=lead, type=ActivityType.NURTURE_EXITED, created_at__gte=since
        ).update(created_at=at)
        NurtureEnrollment.objects.filter(lead=lead, exited_at__gte=since).update(exited_at=at)

    @staticmethod
    def _nurture_shift(lead: Lead, at: datetime) -> None:
        """Move the nurturing that capture started (the enrollment, the steps that ran at once,
        their timeline entries and tasks) so that it starts at `at`. One delta for all of it
        keeps the sequence's delays: a next step still ahead of `now` stays due then, one the
        story has passed is overdue since the time its delay says."""
        enrolled = (
            LeadActivity.objects.filter(lead=lead, type=ActivityType.NURTURE_ENROLLED)
            .order_by("created_at")
            .first()
        )
        if enrolled is None:
            return
        delta = enrolled.created_at - at
        LeadActivity.objects.filter(lead=lead, type__in=NURTURE_TYPES).update(
            created_at=F("created_at") - delta
        )
        NurtureEnrollment.objects.filter(lead=lead).update(
            enrolled_at=F("enrolled_at") - delta,
            next_step_at=F("next_step_at") - delta,
        )
        NurtureStepRun.objects.filter(enrollment__lead=lead).update(
            ran_at=F("ran_at") - delta, sent_at=F("sent_at") - delta
        )
        # A task step's task: the assignment's and the qualification's moved before this.
        Task.objects.filter(lead=lead, created_at__gte=enrolled.created_at).update(
            created_at=F("created_at") - delta, due_at=F("due_at") - delta
        )

    @staticmethod
    def _shift(lead: Lead, kind: str, at: datetime, tasks: bool = False) -> None:
        """Move the lead's latest `kind` activity (and the tasks written with it) to `at`.

        The change log (LeadChange) is an audit trail the database writes; it keeps the
        time the demo was loaded.
        """
        activity = LeadActivity.objects.filter(lead=lead, type=kind).order_by("-created_at").first()
        if activity is None:
            return
        delta = activity.created_at - at
        LeadActivity.objects.filter(pk=activity.pk).update(created_at=at)
        Command._nurture_exit_shift(lead, at, since=activity.created_at)
        if tasks:
            # The tasks the same service call made: they are written after its activity, a
            # moment later, and are due from the call's time.
            Task.objects.filter(lead=lead, created_at__gte=activity.created_at).update(
                created_at=at, due_at=F("due_at") - delta
            )
        # Tasks the call closed (a conversion, a disqualification) were done when it happened.
        Task.objects.filter(lead=lead, completed_at__gte=activity.created_at).update(
            completed_at=at
        )
