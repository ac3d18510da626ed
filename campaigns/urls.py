"""Public advocacy URLs, under each language's prefix (/act/... and /ar/act/...)."""

from django.urls import include, path

app_name = "campaigns"

urlpatterns = [
    path("petitions/", include("campaigns.petitions.urls")),
    path("marches/", include("campaigns.marches.urls")),
    path("proposals/", include("campaigns.proposals.urls")),
]
