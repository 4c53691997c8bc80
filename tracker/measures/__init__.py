"""Outcome measures (PHQ-9, GAD-7, PCL-5): instrument definitions and pure scoring."""
