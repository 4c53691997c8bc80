"""The searchable text of each session. The full-text index over it lives beside it in the
database (FTS5 table or tsvector column, see migration 0008), outside the models."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base


class SearchDocument(Base):
    __tablename__ = "search_documents"
    __table_args__ = (Index("ix_search_documents_patient_id_starts_at", "patient_id",
                            "starts_at"),)

    session_id: Mapped[int] = mapped_column(
        ForeignKey("therapy_sessions.id", ondelete="CASCADE"), primary_key=True,
        autoincrement=False)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    kind: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime] = mapped_column(DateTime)  # The session's, local wall time.
    body: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"<SearchDocument session_id={self.session_id}>"
