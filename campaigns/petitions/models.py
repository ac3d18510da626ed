"""Petitions: models."""
