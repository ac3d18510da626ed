"""Marches: tasks."""
