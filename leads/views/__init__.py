from .capture import HONEYPOT_FIELD, CaptureFormView
from .unsubscribe import UnsubscribeView

__all__ = ["HONEYPOT_FIELD", "CaptureFormView", "UnsubscribeView"]
