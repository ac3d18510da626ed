"""Petitions: the JSON API (Django REST framework, described by drf-spectacular).

Signing through the API is the same as the form: the same service
(``signature_accept``, the surge intake), the same limits and the same email confirmation. It
answers 202 "check your email" whatever the address has done before, 400 with
field messages, 409 when the petition is not taking signatures and 429 when a
limit is reached. Counts come from the cached counters.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_countries.serializer_fields import CountryField
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.petitions import selectors
from campaigns.petitions.abuse import petition_sign_info
from campaigns.petitions.forms import COMMENT_MAX, NAME_MAX
from campaigns.petitions.intake import signature_accept
from campaigns.petitions.models import PetitionPage, Signature
from campaigns.petitions.services import SigningRefused
from cms.http import client_ip


class PetitionTargetSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    role = serializers.CharField()
    office = serializers.CharField()
    region = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField(help_text="Only when the official publishes it; otherwise empty.")
    web_form_url = serializers.CharField()


class PetitionCountSerializer(serializers.Serializer):
    petition = serializers.IntegerField(help_text="The page id asked about.")
    state = serializers.ChoiceField(choices=PetitionPage.State.choices)
    total = serializers.IntegerField(help_text="Confirmed signatures, as last folded (every few seconds).")
    goal = serializers.IntegerField()
    next_milestone = serializers.IntegerField(help_text="The next milestone or goal above the total (or the highest).")
    percent = serializers.IntegerField(help_text="Progress towards next_milestone, 0-100.")
    updated_at = serializers.DateTimeField(allow_null=True)


class PetitionRegionSerializer(serializers.Serializer):
    region = serializers.CharField(help_text="A postcode district or a city; empty when the signer gave neither.")
    total = serializers.IntegerField()


class PetitionCountrySerializer(serializers.Serializer):
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2 code.")
    name = serializers.CharField()
    total = serializers.IntegerField()
    regions = PetitionRegionSerializer(many=True)


class PetitionCountsSerializer(PetitionCountSerializer):
    countries = PetitionCountrySerializer(many=True)


class PetitionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    summary = serializers.CharField()
    ask = serializers.CharField(help_text="HTML.")
    url = serializers.CharField()
    language = serializers.CharField()
    state = serializers.ChoiceField(choices=PetitionPage.State.choices)
    opens_at = serializers.DateTimeField(allow_null=True)
    closes_at = serializers.DateTimeField(allow_null=True)
    targets = PetitionTargetSerializer(many=True)
    counts = PetitionCountSerializer()
    response = serializers.CharField(help_text="HTML: the published response, once responded.")
    response_from = serializers.CharField()
    sign_url = serializers.CharField(help_text="POST a signature here.")


class PetitionSignatureSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=NAME_MAX, min_length=2)
    email = serializers.EmailField(max_length=254)
    country = CountryField()
    postcode = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    comment = serializers.CharField(max_length=COMMENT_MAX, required=False, allow_blank=True, default="")
    public = serializers.BooleanField(required=False, default=False, help_text="Show first name and city publicly.")
    updates = serializers.BooleanField(required=False, default=False, help_text="Email updates about the petition.")


_ERROR = inline_serializer("PetitionError", {"detail": serializers.CharField(), "code": serializers.CharField()})
_ACCEPTED = inline_serializer(
    "PetitionSignatureAccepted", {"status": serializers.CharField(), "detail": serializers.CharField()}
)


def _petition(page_id: int) -> PetitionPage:
    page = PetitionPage.objects.live().public().filter(pk=page_id).first()
    if page is None:
        raise Http404
    return page


def _counts(page_id: int) -> dict[str, Any]:
    summary = selectors.petition_sign_summary(page_id=page_id)
    if summary is None:
        raise Http404
    return {key: value for key, value in summary.items() if key != "canonical_id"}


def _detail(page: PetitionPage, request: Request) -> dict[str, Any]:
    from django.urls import reverse

    petition = page.canonical
    return {
        "id": page.pk,
        "title": page.title,
        "summary": page.summary,
        "ask": str(page.ask),
        "url": page.get_full_url(request._request),
        "language": page.locale.language_code,
        "state": page.effective_state(),
        "opens_at": petition.opens_at,
        "closes_at": petition.closes_at,
        "targets": [t.public_view() for t in petition.targets.filter(active=True)],
        "counts": _counts(page.pk),
        "response": str(page.response) if petition.state == PetitionPage.State.RESPONDED else "",
        "response_from": page.response_from if petition.state == PetitionPage.State.RESPONDED else "",
        "sign_url": request.build_absolute_uri(reverse("api:petitions_sign", kwargs={"page_id": page.pk})),
    }


class PetitionListView(APIView):
    @extend_schema(operation_id="petitions_list", responses=PetitionSerializer(many=True), tags=["petitions"])
    def get(self, request: Request) -> Response:
        """Live petitions, newest first."""
        pages = PetitionPage.objects.live().public().order_by("-first_published_at")[:100]
        return Response([_detail(page, request) for page in pages])


class PetitionDetailView(APIView):
    @extend_schema(operation_id="petitions_retrieve", responses=PetitionSerializer, tags=["petitions"])
    def get(self, request: Request, page_id: int) -> Response:
        """A petition: the ask, its targets, its state and its counts."""
        return Response(_detail(_petition(page_id), request))


class PetitionCountsView(APIView):
    @extend_schema(operation_id="petitions_counts", responses=PetitionCountsSerializer, tags=["petitions"])
    def get(self, request: Request, page_id: int) -> Response:
        """Confirmed signatures, overall and by country and region (from the cached counters)."""
        counts = _counts(page_id)
        regions = selectors.petition_regions(
            petition_id=selectors.petition_sign_summary(page_id=page_id)["canonical_id"]
        )
        response = Response({**counts, "countries": regions["countries"]})
        response["Cache-Control"] = "public, max-age=5"
        return response


class PetitionSignView(APIView):
    @extend_schema(
        operation_id="petitions_sign",
        request=PetitionSignatureSerializer,
        responses={
            202: OpenApiResponse(_ACCEPTED, description="Taken: a confirmation link is emailed (or, for an address "
                                 "that already signed, a reminder). The answer is the same either way."),
            400: OpenApiResponse(description="Field errors: {field: [messages]}."),
            404: OpenApiResponse(_ERROR, description="No such live petition."),
            409: OpenApiResponse(_ERROR, description="The petition is not taking signatures (code: closed)."),
            429: OpenApiResponse(_ERROR, description="Too many signatures from this address or domain "
                                 "(code: rate_limited)."),
        },
        tags=["petitions"],
    )  # fmt: skip
    def post(self, request: Request, page_id: int) -> Response:
        """Sign a petition. The signature counts once the person presses confirm in the emailed link."""
        info = petition_sign_info(page_id)
        if info is None or not info.live:
            raise Http404
        serializer = PetitionSignatureSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            signature_accept(
                petition_id=page_id,
                name=" ".join(data["name"].split()),
                email=data["email"],
                country=str(data["country"]),
                postcode=data["postcode"],
                city=data["city"],
                comment=data["comment"] if info.ask_for_comment else "",
                public=data["public"],
                updates=data["updates"],
                language=get_language() or "en",
                ip=client_ip(request._request),
                source=Signature.Source.API,
            )
        except SigningRefused as refusal:
            if refusal.code == "rate_limited":
                return Response(
                    {"detail": refusal.message, "code": refusal.code},
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                    headers={"Retry-After": "60"},
                )
            if refusal.code == "closed":
                return Response({"detail": refusal.message, "code": refusal.code}, status=status.HTTP_409_CONFLICT)
            return Response(
                {refusal.field or "non_field_errors": [refusal.message]}, status=status.HTTP_400_BAD_REQUEST
            )
        return Response(
            {"status": "pending", "detail": _("Check your email: your signature counts once you confirm it.")},
            status=status.HTTP_202_ACCEPTED,
        )
