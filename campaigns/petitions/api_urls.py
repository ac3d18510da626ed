"""Petitions: JSON API URLs (under /api/v1/petitions/, namespace `api`)."""

from django.urls import path

from campaigns.petitions import api
from cms.public_json import public_json

urlpatterns = [
    path("", api.PetitionListView.as_view(), name="petitions_list"),
    path("<int:page_id>/", api.PetitionDetailView.as_view(), name="petitions_detail"),
    path("<int:page_id>/counts/", public_json(api.PetitionCountsView.as_view()), name="petitions_counts"),
    path("<int:page_id>/signatures/", api.PetitionSignView.as_view(), name="petitions_sign"),
]
