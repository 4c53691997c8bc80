"""Care teams: a patient shared by the primary therapist with other accounts, and the
time-limited emergency ("break-glass") access of an administrator."""
