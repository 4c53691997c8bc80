"""Apply a session's decisions on carried items, and create or remove items added in it.

Decisions are applied when a draft is saved, so the patient-level lists always show the
latest saved state; while the session is a draft, a decision can be changed and its effect
is recomputed (a version created by "modify" is removed again if the decision changes).
When a later session has already decided on an item, saving an earlier draft records its
own decision but leaves the item's status to the later one.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tracker.sessions.models import TherapySession
from tracker.threads.carry import CarriedItem
from tracker.threads.models import (
    STATUS_AFTER_DECISION,
    Belief,
    BeliefRating,
    Strategy,
    StrategyReview,
    Theme,
    ThemeMention,
)


class ThreadRuleError(ValueError):
    """A rule about themes, beliefs or strategies was broken; the message is safe to show."""


def _decision_row(db: Session, item: CarriedItem, model, **keys):
    """This session's row for a carried item: the one already saved, or a new one."""
    if item.current is not None:
        return item.current
    row = model(**keys)
    db.add(row)
    return row


def review_strategy(db: Session, session: TherapySession, item: CarriedItem, data: dict) -> None:
    strategy: Strategy = item.record
    review: StrategyReview = _decision_row(db, item, StrategyReview, session=session,
                                           strategy=strategy)
    review.decision = data["decision"]
    review.times_practised = data.get("times_practised")
    review.helpfulness = data.get("helpfulness")
    review.barriers = data.get("barriers") or ""
    earlier_version = review.new_strategy
    if review.decision == "modify" and item.decided_later and earlier_version is None:
        raise ThreadRuleError(
            f"“{strategy.description}” was already reviewed in a later session: modify it "
            "there, not in this earlier one.")
    if review.decision == "modify":
        version = earlier_version or Strategy(patient_id=strategy.patient_id, replaces=strategy,
                                              first_session_id=session.id, status="active")
        version.category = data["new_category"]
        version.description = data["new_description"]
        version.target_per_week = data["new_target"]
        db.add(version)
        review.new_strategy = version
    elif earlier_version is not None:
        review.new_strategy = None
        db.flush()
        _remove_strategy(db, earlier_version)
    if not item.decided_later:
        previous = STATUS_AFTER_DECISION.get(item.last.decision) if item.last else None
        strategy.status = STATUS_AFTER_DECISION.get(review.decision, previous or "active")


def rate_belief(db: Session, session: TherapySession, item: CarriedItem, data: dict) -> None:
    belief: Belief = item.record
    rating: BeliefRating = _decision_row(db, item, BeliefRating, session=session, belief=belief)
    rating.decision = data["decision"]
    rating.old_conviction = data.get("old_conviction")
    rating.new_conviction = data.get("new_conviction")
    rating.note = data.get("note") or ""
    if item.decided_later:
        return
    if rating.decision == "skip":
        belief.status = item.last.decision if item.last is not None else "emerging"
    else:
        belief.status = rating.decision


def review_theme(db: Session, session: TherapySession, item: CarriedItem, data: dict) -> None:
    theme: Theme = item.record
    mention: ThemeMention = _decision_row(db, item, ThemeMention, session=session, theme=theme)
    mention.decision = data["decision"]
    mention.notes = data.get("notes") or ""
    if item.decided_later:
        return
    if mention.decision == "resolved":
        theme.status, theme.resolved_session_id = "resolved", session.id
    elif theme.resolved_session_id == session.id:
        theme.status, theme.resolved_session_id = "open", None


def add_theme(db: Session, session: TherapySession, data: dict) -> Theme:
    theme = Theme(patient_id=session.patient_id, label=data["label"], category=data["category"],
                  first_session_id=session.id, status="open")
    db.add_all([theme, ThemeMention(session=session, theme=theme, decision="raised",
                                    notes=data.get("notes") or "")])
    return theme


def add_belief(db: Session, session: TherapySession, data: dict) -> Belief:
    belief = Belief(patient_id=session.patient_id, old_belief=data["old_belief"],
                    new_belief=data["new_belief"], first_session_id=session.id,
                    status="emerging")
    db.add_all([belief, BeliefRating(session=session, belief=belief, decision="emerging",
                                     old_conviction=data.get("old_conviction"),
                                     new_conviction=data.get("new_conviction"))])
    return belief


def add_strategy(db: Session, session: TherapySession, data: dict) -> Strategy:
    strategy = Strategy(patient_id=session.patient_id, category=data["category"],
                        description=data["description"],
                        target_per_week=data["target_per_week"],
                        first_session_id=session.id, status="active")
    db.add(strategy)
    return strategy


def edit_added_theme(session: TherapySession, theme: Theme, data: dict) -> None:
    """Change a theme added in this draft: its name, category, and what came up here."""
    theme.label, theme.category = data["label"], data["category"]
    for mention in session.theme_mentions:
        if mention.theme_id == theme.id:
            mention.notes = data.get("notes") or ""


def edit_added_belief(session: TherapySession, belief: Belief, data: dict) -> None:
    belief.old_belief, belief.new_belief = data["old_belief"], data["new_belief"]
    for rating in session.belief_ratings:
        if rating.belief_id == belief.id:
            rating.old_conviction = data.get("old_conviction")
            rating.new_conviction = data.get("new_conviction")


def edit_added_strategy(session: TherapySession, strategy: Strategy, data: dict) -> None:
    strategy.category, strategy.description = data["category"], data["description"]
    strategy.target_per_week = data["target_per_week"]


def remove_added(db: Session, session: TherapySession, kind: str, item_id: int) -> None:
    """Take back an item added in this (draft) session. Only items that nothing else refers
    to can go; anything already reviewed in another session stays."""
    model = {"theme": Theme, "belief": Belief, "strategy": Strategy}[kind]
    record = db.scalar(select(model).where(model.id == item_id,
                                           model.patient_id == session.patient_id,
                                           model.first_session_id == session.id))
    if record is None:
        raise ThreadRuleError("That item was not added in this session.")
    if kind == "theme":
        _only_here(db, ThemeMention, ThemeMention.theme_id, record.id, session)
        db.execute(delete(ThemeMention).where(ThemeMention.theme_id == record.id))
    elif kind == "belief":
        _only_here(db, BeliefRating, BeliefRating.belief_id, record.id, session)
        db.execute(delete(BeliefRating).where(BeliefRating.belief_id == record.id))
    else:
        if record.replaces_id is not None:
            raise ThreadRuleError("This is the new version of a modified strategy: change the "
                                  "decision on the strategy it replaces instead.")
        _remove_strategy(db, record)
        return
    db.delete(record)
    db.flush()


def _only_here(db: Session, model, column, item_id: int, session: TherapySession) -> None:
    elsewhere = db.scalar(select(func.count()).select_from(model)
                          .where(column == item_id, model.session_id != session.id))
    if elsewhere:
        raise ThreadRuleError("This item was already used in another session; it stays.")


def _remove_strategy(db: Session, strategy: Strategy) -> None:
    used = db.scalar(select(func.count()).select_from(StrategyReview)
                     .where(StrategyReview.strategy_id == strategy.id))
    replaced_by = db.scalar(select(func.count()).select_from(Strategy)
                            .where(Strategy.replaces_id == strategy.id))
    if used or replaced_by:
        raise ThreadRuleError("This strategy was already reviewed in another session; it stays.")
    db.delete(strategy)
    db.flush()
