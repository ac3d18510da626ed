"""The march status endpoint: window, state, counters by region and target, slots left (served from cache)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.marches.models import VirtualMarchPage
from campaigns.marches.selectors import march_counts


class CountsSerializer(serializers.Serializer):
    registered = serializers.IntegerField(help_text="Participants registered.")
    calls = serializers.IntegerField(help_text="Calls reported.")
    letters = serializers.IntegerField(help_text="Letters sent.")


class RegionCountsSerializer(CountsSerializer):
    region = serializers.CharField(help_text='Where participants live ("other" for elsewhere).')


class TargetCountsSerializer(CountsSerializer):
    id = serializers.IntegerField(help_text="The target's id.")
    name = serializers.CharField()
    name_ar = serializers.CharField(allow_blank=True)
    role = serializers.CharField(allow_blank=True)


class WindowSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    time_zone = serializers.CharField(help_text="The time zone staff set the window in (IANA name).")


class MarchStatusSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.CharField(help_text="The march's page.")
    state = serializers.ChoiceField(choices=["upcoming", "live", "ended"])
    window = WindowSerializer()
    totals = CountsSerializer()
    by_region = RegionCountsSerializer(many=True)
    by_target = TargetCountsSerializer(many=True)
    slots_left = serializers.IntegerField(help_text="Call places still free across all offices and times.")
    updated_at = serializers.DateTimeField(help_text="When the counters were last folded in.")


class MarchStatusView(APIView):
    @extend_schema(
        operation_id="march_status",
        summary="A virtual march's status",
        description="Its window, whether it is upcoming, live or ended, its counters and the places left. "
        "Counts are folded in every few seconds and served from cache.",
        responses={200: MarchStatusSerializer, 404: OpenApiResponse(description="No such live march.")},
        tags=["marches"],
    )
    def get(self, request: Request, pk: int) -> Response:
        page = VirtualMarchPage.objects.live().public().filter(pk=pk).first()
        if page is None:
            raise Http404
        march = page.canonical()
        counts = march_counts(march_id=march.pk)
        zero = {"registered": 0, "calls": 0, "letters": 0}
        by_target = {row["target"]: row for row in counts["by_target"]}
        data = {
            "id": page.pk,
            "title": page.title,
            "url": page.url or "",
            "state": march.state(),
            "window": {"start": march.window_start, "end": march.window_end, "time_zone": march.time_zone},
            "totals": counts["totals"],
            "by_region": counts["by_region"],
            "by_target": [
                {
                    **zero,
                    **by_target.get(target.pk, {}),
                    "id": target.pk,
                    "name": target.name,
                    "name_ar": target.name_ar,
                    "role": target.role,
                }
                for target in march.targets.all()
            ],
            "slots_left": counts["slots_left"],
            "updated_at": counts["updated_at"],
        }
        response = Response(MarchStatusSerializer(data).data)
        response["Cache-Control"] = "public, max-age=5"
        return response
