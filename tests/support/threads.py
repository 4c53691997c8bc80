"""The items a course carries from session to session, stored directly: strategies (and
their reviews), beliefs (and their ratings), themes (and their mentions)."""

from __future__ import annotations

from tracker.threads.models import (
    Belief,
    BeliefRating,
    Strategy,
    StrategyReview,
    Theme,
    ThemeMention,
)


def _stored(db, row):
    db.add(row)
    db.flush()
    return row


def db_strategy(db, patient_id: int, first: int, description: str = "Walk by the river",
                status: str = "active", **fields) -> Strategy:
    """A strategy first agreed in session `first` (nature, five times a week)."""
    return _stored(db, Strategy(patient_id=patient_id,
                                category=fields.pop("category", "nature"),
                                description=description,
                                target_per_week=fields.pop("target_per_week", 5),
                                status=status, first_session_id=first, **fields))


def db_belief(db, patient_id: int, first: int, new_belief: str = "I am worth care as I am",
              status: str = "emerging", **fields) -> Belief:
    """A belief (the old one "I have to earn love") first worked on in session `first`."""
    return _stored(db, Belief(patient_id=patient_id,
                              old_belief=fields.pop("old_belief", "I have to earn love"),
                              new_belief=new_belief, status=status, first_session_id=first,
                              **fields))


def db_theme(db, patient_id: int, first: int, label: str = "the ocean", status: str = "open",
             mentions=(), **fields) -> Theme:
    """A theme (imagery) first raised in session `first`, mentioned in the sessions of
    `mentions`: (session id, decision) pairs."""
    theme = _stored(db, Theme(patient_id=patient_id, label=label,
                              category=fields.pop("category", "imagery"), status=status,
                              first_session_id=first, **fields))
    for session_id, decision in mentions:
        db.add(ThemeMention(session_id=session_id, theme_id=theme.id, decision=decision))
    db.flush()
    return theme


def strategy_review(session_id: int, strategy_id: int, decision: str = "continue",
                    **fields) -> StrategyReview:
    """A strategy's review in a session (to add to the database)."""
    return StrategyReview(session_id=session_id, strategy_id=strategy_id, decision=decision,
                          **fields)


def belief_rating(session_id: int, belief_id: int, decision: str = "strengthening",
                  **fields) -> BeliefRating:
    """A belief's rating in a session (to add to the database)."""
    return BeliefRating(session_id=session_id, belief_id=belief_id, decision=decision, **fields)


def theme_mention(session_id: int, theme_id: int, decision: str = "raised",
                  **fields) -> ThemeMention:
    """A theme's mention in a session (to add to the database)."""
    return ThemeMention(session_id=session_id, theme_id=theme_id, decision=decision, **fields)
