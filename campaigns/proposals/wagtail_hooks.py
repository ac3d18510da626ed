"""Proposals: wagtail hooks."""
