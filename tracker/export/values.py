"""Plain JSON values of the export: decimals at their column's scale, UTC and wall-clock
times in ISO 8601, rows in a stable order."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal


def decimal(value: Decimal | int | float | str | None, places: int) -> str | None:
    """A decimal as a fixed-point string with `places` decimals; None stays None."""
    if value is None:
        return None
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return f"{number.quantize(Decimal(1).scaleb(-places)):f}"


def utc(value: datetime | None) -> str | None:
    """An aware timestamp as ISO 8601 in UTC with a Z."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def local(value: datetime | date | time | None) -> str | None:
    """Practice wall-clock time (or a date): ISO 8601 without a time zone."""
    return None if value is None else value.isoformat()


def by_id(items, key=lambda item: item.id):
    # Unflushed rows have no id yet; keep them last instead of failing on None < int.
    return sorted(items, key=lambda item: (key(item) is None, key(item) or 0))
