"""Models of the supporters app (see shared/DESIGN.md for what lives here)."""
