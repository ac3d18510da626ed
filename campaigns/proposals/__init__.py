"""Member proposals: issues supporters propose, moderate, vote on and staff adopt into campaigns."""
