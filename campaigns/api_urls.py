"""The advocacy JSON API (Django REST framework), under /api/v1/; its OpenAPI schema is at /api/schema/."""

from django.urls import include, path

app_name = "api"

urlpatterns = [
    path("petitions/", include("campaigns.petitions.api_urls")),
    path("marches/", include("campaigns.marches.api_urls")),
    path("proposals/", include("campaigns.proposals.api_urls")),
]
