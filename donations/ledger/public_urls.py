"""The public transparency page, under each language's prefix: /transparency/ and /ar/transparency/."""

from django.urls import path

from donations.ledger import transparency

app_name = "transparency"

urlpatterns = [
    path("", transparency.organisation, name="organisation"),
    path("<int:page_id>/", transparency.campaign, name="campaign"),
]
