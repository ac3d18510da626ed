"""Proposals: models."""
