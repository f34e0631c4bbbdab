"""Writes to leads, their timeline and their tasks; each service is one transaction."""

from ..emails import email_normalize
from .after_change import lead_changed
from .capture import CAPTURE_FIELDS, DEFAULT_SOURCE, CaptureResult, lead_capture
from .edit import (
    EDITABLE_FIELDS,
    MANAGER_FIELDS,
    MANUAL_STATUSES,
    RECORD_FIELDS,
    WORKFLOW_FIELDS,
    LeadUpdateError,
    lead_editable_fields,
    lead_status_change_check,
    lead_update,
)
from .events import TimelineEntry, lead_status_step, lead_task_create, timeline_entries_add
from .nurture import (
    lead_from_unsubscribe_token,
    lead_unsubscribe,
    leads_nurture_leave,
    unsubscribe_token,
)
from .ownership import (
    RESPONSE_TYPES,
    follow_ups_create,
    lead_assign,
    lead_email_context,
    lead_escalation_record,
    lead_response_record,
    task_complete,
    tasks_close_open,
    user_label,
)
from .qualification import (
    DISCOVERY_CALL,
    Bant,
    LeadClosed,
    lead_mark_converted,
    lead_qualify,
    leads_qualify_by_score,
    qualified_fields,
)
from .scores import (
    SCORE_QUALIFIABLE_STATUSES,
    ScoresWritten,
    lead_qualifies_by_score,
    lead_score_write,
    leads_scores_write,
)
from .timeline import (
    EVENT_TYPES,
    LOGGABLE_TYPES,
    LeadNotFound,
    lead_activity_log,
    lead_event_record,
)

__all__ = [
    "SCORE_QUALIFIABLE_STATUSES",
    "ScoresWritten",
    "lead_qualifies_by_score",
    "lead_score_write",
    "leads_scores_write",
    "lead_from_unsubscribe_token",
    "lead_unsubscribe",
    "leads_nurture_leave",
    "TimelineEntry",
    "lead_status_step",
    "lead_task_create",
    "timeline_entries_add",
    "unsubscribe_token",
    "DISCOVERY_CALL",
    "Bant",
    "LeadClosed",
    "lead_mark_converted",
    "lead_qualify",
    "leads_qualify_by_score",
    "qualified_fields",
    "CAPTURE_FIELDS",
    "DEFAULT_SOURCE",
    "EDITABLE_FIELDS",
    "EVENT_TYPES",
    "LOGGABLE_TYPES",
    "MANAGER_FIELDS",
    "MANUAL_STATUSES",
    "RECORD_FIELDS",
    "WORKFLOW_FIELDS",
    "RESPONSE_TYPES",
    "CaptureResult",
    "follow_ups_create",
    "lead_assign",
    "lead_email_context",
    "lead_escalation_record",
    "lead_response_record",
    "task_complete",
    "tasks_close_open",
    "user_label",
    "LeadNotFound",
    "LeadUpdateError",
    "email_normalize",
    "lead_activity_log",
    "lead_capture",
    "lead_changed",
    "lead_editable_fields",
    "lead_event_record",
    "lead_status_change_check",
    "lead_update",
]
