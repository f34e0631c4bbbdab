from .capture import HONEYPOT_FIELD, CaptureFormView

__all__ = ["HONEYPOT_FIELD", "CaptureFormView"]
