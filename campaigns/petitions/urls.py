"""Petitions: public URLs (under each language's prefix)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
