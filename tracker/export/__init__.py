"""Export of a patient's progress record."""
