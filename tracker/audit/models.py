"""Audit events: append-only, chained by an HMAC whose key is not in the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base, UTCDateTime, utcnow


class AuditEvent(Base):
    """Ids and action codes only: never clinical text (nor anything typed)."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_patient_id_seq", "patient_id", "seq"),
        Index("ix_audit_events_actor_id_seq", "actor_id", "seq"),
        Index("ix_audit_events_queue_id", "queue_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)  # Position in the chain.
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(64))
    patient_id: Mapped[int | None] = mapped_column(Integer)
    record_type: Mapped[str | None] = mapped_column(String(32))
    record_id: Mapped[int | None] = mapped_column(Integer)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    prev_hmac: Mapped[str] = mapped_column(String(64))
    hmac: Mapped[str] = mapped_column(String(64))
    # An event that waited in the queue (tracker/audit/queue.py): the id that keeps it from
    # being written twice. Not part of the HMAC.
    queue_id: Mapped[str | None] = mapped_column(String(32))

    def __repr__(self) -> str:
        return f"<AuditEvent seq={self.seq} action={self.action}>"


class AuditSubject(Base):
    """A patient whose data the response of an event showed, when it showed several (a
    patient list, search results): chained with its event."""

    __tablename__ = "audit_subjects"
    __table_args__ = (Index("ix_audit_subjects_patient_id_event_id", "patient_id", "event_id"),)

    event_id: Mapped[int] = mapped_column(ForeignKey("audit_events.id"), primary_key=True)
    patient_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class AuditHead(Base):
    """The chain's last link, one row. Writers lock it, so events never fork."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hmac: Mapped[str] = mapped_column(String(64), default="0" * 64)
