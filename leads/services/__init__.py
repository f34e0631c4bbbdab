"""Writes to leads, their timeline and their tasks; each service is one transaction."""

from .capture import (
    CAPTURE_FIELDS,
    DEFAULT_SOURCE,
    CaptureResult,
    email_normalize,
    lead_capture,
)
from .edit import (
    EDITABLE_FIELDS,
    MANAGER_FIELDS,
    MANUAL_STATUSES,
    LeadUpdateError,
    lead_editable_fields,
    lead_status_change_check,
    lead_update,
)
from .effects import lead_changed
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
from .timeline import (
    EVENT_TYPES,
    LOGGABLE_TYPES,
    LeadNotFound,
    lead_activity_log,
    lead_event_record,
)

__all__ = [
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
    "RESPONSE_TYPES",
    "CaptureResult",
    "follow_ups_create",
    "lead_assign",
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
