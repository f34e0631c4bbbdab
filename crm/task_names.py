"""The names of the project's Celery tasks, one constant each.

Writes start their side effects by name through the outbox (crm.effects), so an app low in the
import order can start a task of an app above it without importing it. Every name is spelled
here once; crm.checks fails `manage.py check` when a name used by the outbox, a setting, the
beat schedule or a schedule migration is not a registered task.
"""

NOTIFICATION_SEND = "crm.notification_send"
OUTBOX_RELAY = "crm.outbox_relay"

IDEMPOTENCY_KEYS_PURGE = "leads.idempotency_keys_purge"

LEAD_SCORE = "scoring.lead_score"
LEADS_RESCORE = "scoring.leads_rescore"

LEAD_ROUTE = "assignment.lead_route"
LEADS_ROUTE_READY = "assignment.leads_route_ready"
LEADS_ESCALATE_OVERDUE = "assignment.leads_escalate_overdue"
NURTURE_ADVANCE = "assignment.nurture_advance"
NURTURE_RUN_DUE = "assignment.nurture_run_due"
NURTURE_EMAIL_SEND = "assignment.nurture_email_send"
NURTURE_LEAVE = "assignment.nurture_leave"
