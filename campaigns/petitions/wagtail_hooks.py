"""Petitions: wagtail hooks."""
