"""Public receipt pages (under each language's prefix): verification, and the donor's own PDF."""

from django.urls import path

from donations.receipts import views

app_name = "receipts"

urlpatterns = [
    path("verify/<str:code>/", views.verify, name="verify"),
    path("<uuid:reference>/pdf/", views.download, name="download"),
]
