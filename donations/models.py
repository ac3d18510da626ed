"""Models of the donations app (see shared/DESIGN.md for what lives here)."""
