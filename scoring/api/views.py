from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.permissions import request_user
from leads.selectors import lead_visible_to

from ..services import lead_score_explain


class ScoreLineSerializer(serializers.Serializer):
    rule = serializers.CharField(source="rule_id")
    name = serializers.CharField()
    category = serializers.CharField()
    points = serializers.IntegerField()
    count = serializers.IntegerField(allow_null=True)


class LeadScoreApi(APIView):
    """Why a lead has its score: each rule that fired and the points it gave."""

    @extend_schema(
        responses=inline_serializer(
            "LeadScore",
            {
                "score": serializers.IntegerField(),
                "grade": serializers.CharField(),
                "qualified": serializers.BooleanField(),
                "raw_total": serializers.IntegerField(),
                "breakdown": ScoreLineSerializer(many=True),
            },
        )
    )
    def get(self, request: Request, pk: str) -> Response:
        lead = get_object_or_404(lead_visible_to(request_user(request)), pk=pk)
        explained = lead_score_explain(lead=lead)
        return Response(
            {
                "score": lead.score,
                "grade": lead.grade,
                "qualified": lead.qualified,
                "raw_total": explained.raw,
                "breakdown": ScoreLineSerializer(explained.lines, many=True).data,
            }
        )
