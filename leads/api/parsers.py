"""The capture APIs name their parsers; their JSON is bounded like the rest of the API's."""

from crm.json_input import BoundedJSONParser

__all__ = ["BoundedJSONParser"]
