"""Between sessions, from the patient's side: check-in links, daily check-ins, questionnaires
answered at home (the patient's pages in patient_views.py; the therapist's in views.py)."""
