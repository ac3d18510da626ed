"""Proposals: JSON API URLs (under /api/v1/proposals/)."""

from django.urls import path

from campaigns.proposals import api

urlpatterns = [path("ranking/", api.ranking, name="proposals_ranking")]
