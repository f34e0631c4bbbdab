import random
from datetime import timedelta
from decimal import Decimal
from io import StringIO

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from crm.models import Role
from crm.services import user_upsert
from leads.models import ActivityType, CaptureForm, Lead, LeadActivity, LeadStatus, Task

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


class Command(BaseCommand):
    help = "Load realistic demo data: a manager, three reps, a web form and a few hundred leads."

    def add_arguments(self, parser):
        parser.add_argument("--leads", type=int, default=300)
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if any lead exists."
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Load even with DEBUG off (the demo users share a published password).",
        )

    def handle(self, *args, leads: int, if_empty: bool, allow_production: bool, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "Refusing to load demo users with a published password while DEBUG is off; "
                "pass --allow-production to do it anyway."
            )
        if if_empty and Lead.objects.exists():
            self.stdout.write("Demo data already loaded.")
            return
        rng = random.Random(2026)
        with transaction.atomic():
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
            reps = [u for u in users.values() if u.role == Role.REP]
            CaptureForm.objects.get_or_create(
                name="Website contact form",
                defaults={"success_url": "https://www.example.com/thanks/"},
            )
            created = self._leads(rng, leads, reps)
        # Scores come from the scoring rules, like every other lead's.
        call_command("rescore_leads", stdout=StringIO())
        self.stdout.write(self.style.SUCCESS(f"Loaded {created} demo leads."))
        self.stdout.write(
            "Sign in at http://127.0.0.1:8000/ as maria (manager) or sam, riley or jordan "
            f"(reps); the password is {DEMO_PASSWORD}."
        )

    def _leads(self, rng: random.Random, count: int, reps: list) -> int:
        now = timezone.now()
        existing = set(Lead.objects.values_list("email", flat=True))
        leads, activities, tasks = [], [], []
        for i in range(count):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            company, domain, industry = rng.choice(COMPANIES)
            email = f"{first}.{last}{i}@{domain}".lower()
            if email in existing:
                continue
            created_at = now - timedelta(days=rng.uniform(0, 90))
            # Qualified and converted leads come from scoring and conversion, not from here.
            status = rng.choices(
                [LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.UNQUALIFIED], weights=[55, 35, 10]
            )[0]
            owner = rng.choice(reps) if status != LeadStatus.NEW or rng.random() < 0.6 else None
            employees, revenue = rng.choice(SIZES)
            lead = Lead(
                first_name=first,
                last_name=last,
                email=email,
                phone=f"+1 555 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                company=company,
                title=rng.choice(TITLES),
                industry=industry,
                employee_count=employees,
                annual_revenue=Decimal(revenue),
                lead_source=rng.choice(SOURCES),
                lead_status=status,
                assigned_to=owner,
                assigned_at=min(now, created_at + timedelta(minutes=rng.randint(2, 240)))
                if owner
                else None,
                created_at=created_at,
            )
            leads.append(lead)
            activities.append(
                LeadActivity(
                    lead=lead,
                    type=ActivityType.FORM_SUBMITTED,
                    description="I'd like to see a demo for my team.",
                    metadata={"channel": "form", "source": lead.lead_source},
                    created_at=created_at,
                )
            )
            age = (now - created_at).total_seconds()
            for _ in range(rng.randint(0, 6)):
                activities.append(
                    LeadActivity(
                        lead=lead,
                        type=rng.choice(BEHAVIOUR),
                        created_at=created_at + timedelta(seconds=rng.uniform(0, age)),
                    )
                )
            if owner:
                tasks.append(
                    Task(
                        lead=lead,
                        owner=owner,
                        title=f"Follow up with {first} {last}",
                        due_at=lead.assigned_at + timedelta(days=1),
                    )
                )
        Lead.objects.bulk_create(leads, batch_size=500)
        LeadActivity.objects.bulk_create(activities, batch_size=1000)
        Task.objects.bulk_create(tasks, batch_size=500)
        return len(leads)
