"""Proposals: tasks."""
