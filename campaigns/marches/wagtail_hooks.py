"""Marches: wagtail hooks."""
