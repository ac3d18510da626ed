"""Marches: JSON API URLs (under /api/v1/)."""

from django.urls import path

from campaigns.marches import api

urlpatterns = [
    path("<int:pk>/status/", api.MarchStatusView.as_view(), name="marches_status"),
]
