"""Marches: models."""
