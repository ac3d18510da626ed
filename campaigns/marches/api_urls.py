"""Marches: JSON API URLs (under /api/v1/)."""

from django.urls import path

from campaigns.marches import api
from cms.public_json import public_json

urlpatterns = [
    path("<int:pk>/status/", public_json(api.MarchStatusView.as_view()), name="marches_status"),
]
