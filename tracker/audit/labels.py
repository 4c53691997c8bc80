"""Audit actions in words for people ("Viewed the progress page"), for the access history
and the audit browser. The stored action stays the machine form ("view progress.show"):
the chain hashes it, and tools read it."""

from __future__ import annotations

from flask import Flask

# What each audited page or action is, as the object of "Viewed" / "Changed".
PAGES = {
    "audit.browse": "the audit trail",
    "audit.patient_history": "the access history",
    "care_team.acknowledge": "an emergency opening (marked as seen)",
    "care_team.emergency_access": "the emergency access page",
    "care_team.end_emergency_access": "an emergency access (ended it)",
    "care_team.revoke": "the care team (revoked a share)",
    "care_team.show": "the care team",
    "checkins.add_schedule": "a questionnaire schedule",
    "checkins.create_link": "a check-in link (made)",
    "checkins.revoke_link": "a check-in link (revoked)",
    "checkins.unlock_link": "a check-in link (unlocked)",
    "checkins.end_schedule": "a questionnaire schedule (ended it)",
    "checkins.manage": "the between-sessions page",
    "checkins.next_session": "the next planned session",
    "checkins.plan": "the take-home plan",
    "courses.edit_course": "a course",
    "courses.new_course": "a new course",
    "export.patient_record": "the record export",
    "measures.follow_up": "a safety follow-up",
    "measures.new": "a new questionnaire",
    "measures.show": "a questionnaire",
    "patients.archive": "the patient (archived)",
    "patients.edit": "the patient's details",
    "patients.index": "the patient list",
    "patients.new": "a new patient",
    "patients.restore": "the patient (restored)",
    "patients.show": "the patient page",
    "progress.brief": "the brief",
    "progress.print_progress": "the course summary for printing",
    "progress.print_sessions": "the sessions for printing",
    "progress.show": "the progress page",
    "search.index": "search results",
    "sessions.add_addendum": "an addendum",
    "sessions.discard_draft": "an unsaved copy (discarded)",
    "sessions.edit": "a session",
    "sessions.new": "a new session",
    "sessions.remove_item": "an item added in a session (removed)",
    "sessions.show": "a session",
    "sessions.sign": "a session (signed)",
}
# Actions named by a word of their own (tracker/audit/hooks.py ACTIONS and the failures).
ACTIONS = {
    "login": "Signed in",
    "logout": "Signed out",
    "login_failed": "Sign-in refused",
    "login_locked_out": "Sign-in locked out (too many tries)",
    "reauth_failed": "Password asked again: refused",
    "reauth_locked_out": "Password asked again: locked out",
    "export": "Exported the record",
    "print": "Printed",
    "sign": "Signed a session",
    "addendum": "Added an addendum",
    "share": "Shared the record",
    "share_revoke": "Ended a share",
    "break_glass": "Opened the record in an emergency",
    "break_glass_end": "Ended emergency access",
    "signed_out_save_kept": "Save after an idle sign-out kept as a copy",
    "checkin_link_created": "Made a check-in link",
    "checkin_link_revoked": "Revoked a check-in link",
    "checkin_link_unlocked": "Unlocked a check-in link",
    "checkin_link_opened": "Patient opened the check-in link",
    "checkin_code_refused": "Check-in code refused",
    "checkin_link_locked": "Check-in link locked (too many wrong codes)",
    "checkin_submitted": "Patient checked in",
    "checkin_replaced": "Patient checked in again for a day (replaced)",
    "checkin_questionnaire_submitted": "Patient answered a questionnaire at home",
}
EMERGENCY = "emergency "
AFTER_RESET = "reset "


def describe(action: str) -> str:
    """The action in words; an action this table does not know is shown as it is stored."""
    if action.startswith(AFTER_RESET):
        return ("After an administrator's reset: "
                + _lower_first(describe(action.removeprefix(AFTER_RESET))))
    if action.startswith(EMERGENCY):
        return f"In an emergency: {_lower_first(describe(action.removeprefix(EMERGENCY)))}"
    verb, _, rest = action.partition(" ")
    if verb in ("view", "change") and rest in PAGES:
        return f"{'Viewed' if verb == 'view' else 'Changed'} {PAGES[rest]}"
    if verb == "command":
        return f"Ran `{rest}` on the server's command line"
    if verb in ACTIONS:
        where = f" ({PAGES[rest]})" if rest in PAGES else ""
        return ACTIONS[verb] + where
    return action


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def init_app(app: Flask) -> None:
    app.add_template_filter(describe, "audit_action")
