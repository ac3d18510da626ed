"""The march status endpoint: window, state, counters by region and target, slots left (served from cache)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from campaigns.marches.models import VirtualMarchPage
from campaigns.marches.selectors import march_counts, status_key

ZERO = {"registered": 0, "calls": 0, "letters": 0}


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
    def get(self, request: Request, pk: int) -> HttpResponse:
        data = march_status(page_id=pk)
        if data is None:
            raise Http404
        # The document is plain data already in its wire form: written as DRF's JSONRenderer would.
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        response = HttpResponse(body.encode(), content_type="application/json")
        response["Cache-Control"] = "public, max-age=5"
        return response


def march_status(*, page_id: int) -> dict[str, Any] | None:
    """The status of a live, public march page: two cache reads and no query when warm.

    The page's part (title, window, targets) is cached per page until it is
    published or unpublished again (or MARCH_COUNTS_CACHE_SECONDS pass, for
    edits to a target); the counters come from the fold task's cache; the state
    is worked out from the window on every request.
    """
    frame = cache.get(status_key(page_id))
    if frame is None:
        frame = _status_frame(page_id)
        cache.set(status_key(page_id), frame, settings.MARCH_COUNTS_CACHE_SECONDS)
    if not frame:
        return None
    counts = march_counts(march_id=frame["canonical_id"])
    by_target = {row["target"]: row for row in counts["by_target"]}
    now = timezone.now().timestamp()
    return {
        "id": frame["id"],
        "title": frame["title"],
        "url": frame["url"],
        "state": "upcoming" if now < frame["starts"] else "live" if now < frame["ends"] else "ended",
        "window": frame["window"],
        "totals": counts["totals"],
        "by_region": counts["by_region"],
        "by_target": [{**ZERO, **by_target.get(target["id"], {}), **target} for target in frame["targets"]],
        "slots_left": counts["slots_left"],
        "updated_at": counts["updated_at"],
    }


def _status_frame(page_id: int) -> dict[str, Any]:
    """What the status says about the page itself, in wire form ({} when there is no such live march)."""
    page = VirtualMarchPage.objects.live().public().filter(pk=page_id).first()
    if page is None:
        return {}
    march = page.canonical()
    when = serializers.DateTimeField().to_representation
    start: datetime = march.window_start
    end: datetime = march.window_end
    return {
        "id": page.pk,
        "canonical_id": march.pk,
        "title": page.title,
        "url": page.url or "",
        "starts": start.timestamp(),
        "ends": end.timestamp(),
        "window": {"start": when(start), "end": when(end), "time_zone": march.time_zone},
        "targets": [
            {"id": target.pk, "name": target.name, "name_ar": target.name_ar, "role": target.role}
            for target in march.targets.all()
        ],
    }
