"""Account administration."""
