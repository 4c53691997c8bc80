"""Patients: list, create, edit, archive."""
