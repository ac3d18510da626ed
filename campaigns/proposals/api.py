"""Proposals: the public, read-only JSON API (the ranking of the current round, from the cache)."""

from __future__ import annotations

from dataclasses import asdict

from django.http import HttpRequest
from django.utils.translation import get_language
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, throttle_classes
from rest_framework.response import Response

from campaigns.proposals.selectors import proposal_ranking


class RankedProposalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    short_body = serializers.CharField(help_text="The first 200 characters of why it matters.")
    language = serializers.CharField(help_text="The language it was written in: en or ar.")
    status = serializers.ChoiceField(choices=["published", "adopted"])
    votes = serializers.IntegerField(help_text="Folded from the votes every few seconds.")
    ready = serializers.BooleanField(help_text="At or over the round's threshold: ready for a decision.")
    campaign_url = serializers.CharField(allow_blank=True, help_text="The campaign that adopted it, if any.")
    campaign_title = serializers.CharField(allow_blank=True)


class RankingSerializer(serializers.Serializer):
    round_id = serializers.IntegerField(allow_null=True)
    round_name = serializers.CharField(allow_blank=True)
    state = serializers.ChoiceField(choices=["", "upcoming", "open", "closed"])
    opens_at = serializers.DateTimeField(allow_null=True)
    closes_at = serializers.DateTimeField(allow_null=True)
    votes_per_supporter = serializers.IntegerField()
    ready_threshold = serializers.IntegerField()
    proposals = RankedProposalSerializer(many=True)


@extend_schema(
    operation_id="proposals_ranking",
    summary="The current round's published proposals, most votes first",
    parameters=[OpenApiParameter("lang", str, enum=["en", "ar"], description="Language of names and links.")],
    responses={200: RankingSerializer},
    tags=["proposals"],
)
@api_view(["GET"])
@throttle_classes([])
def ranking(request: HttpRequest) -> Response:
    language = request.GET.get("lang") if request.GET.get("lang") in ("en", "ar") else (get_language() or "en")
    return Response(RankingSerializer(asdict(proposal_ranking(language=language))).data)
