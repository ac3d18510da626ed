"""Petitions: tasks."""
