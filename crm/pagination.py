import re
from typing import TYPE_CHECKING, Any

from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

if TYPE_CHECKING:
    # Only for the annotations: DRF's settings import this module while rest_framework.views loads.
    from rest_framework.views import APIView

_WHOLE_NUMBER = re.compile(r"[0-9]+\Z")
# An integer in exponent form, as JSON Schema allows and some clients write large ones: 1e+50.
_WHOLE_NUMBER_EXPONENT = re.compile(r"[0-9]+(\.0*)?[eE]\+?[0-9]+\Z")


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int | None:
        """A page size that is not a whole number from 1 answers 400, rather than quietly giving
        the default; one above the maximum is capped to it."""
        value = request.query_params.get(self.page_size_query_param, "")
        if value == "":
            return self.page_size
        if _WHOLE_NUMBER_EXPONENT.match(value) and float(value) >= 1:
            return self.max_page_size if float(value) > self.max_page_size else int(float(value))
        if not _WHOLE_NUMBER.match(value) or int(value) < 1:
            raise ValidationError({self.page_size_query_param: ["Must be a whole number from 1."]})
        return min(int(value), self.max_page_size)

    def get_schema_operation_parameters(self, view: "APIView") -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Results per page (default {self.page_size}); "
                    f"more than {self.max_page_size} gives {self.max_page_size}."
                )
        return parameters
