"""Documenting a session: the session page with carry-forward, autosave, signing, addenda."""
