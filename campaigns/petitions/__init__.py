"""Petitions: PetitionPage, verified signatures, batched counters, staff exports."""
