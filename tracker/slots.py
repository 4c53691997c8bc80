"""Several unrelated reads in one statement, each returning its own rows (issue 17: one
statement per collection or per thread made a page a dozen statements).

Each part has a slot (1, 2, ...): a small table of the slot numbers is LEFT JOINed to every
part's first table on "slot = its number and the part's condition", then to the part's other
tables by their own conditions, so a row of the result holds the rows of one part (and NULLs
for the others') and the statement returns the sum of the parts' rows, not their product.
Statements are built once by their callers (functools.cache); the values come as bind
parameters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, literal_column, select, union_all
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Part:
    """One read: its tables (entities, or aliases of them) each with the condition it is
    joined on (the first's: which rows the part returns), loader options, and the order of
    its rows."""

    joins: tuple[tuple[Any, Callable[[], Any]], ...]
    options: tuple = ()
    order_by: tuple = ()
    entities: tuple = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "entities", tuple(entity for entity, _ in self.joins))


def rows_of(entity, condition: Callable[[], Any], options: tuple = (),
            order_by: tuple = ()) -> Part:
    """A part of one table: its rows meeting `condition`."""
    return Part(((entity, condition),), options, order_by)


def statement(parts: list[Part]) -> Select:
    """The statement of the parts: its first column is the slot, then every part's tables."""
    numbers = [select(literal_column(str(n)).label("slot")) for n in range(1, len(parts) + 1)]
    slots = union_all(*numbers).subquery("slots")
    joined, entities, options, order = slots, [], [], [slots.c.slot]
    for n, part in enumerate(parts, start=1):
        for entity, condition in part.joins:
            # Every join of the part on its slot: nothing of it is read for another's rows.
            joined = joined.outerjoin(entity, and_(slots.c.slot == n, condition()))
        entities.extend(part.entities)
        options.extend(part.options)
        order.extend(part.order_by)
    return select(slots.c.slot, *entities).select_from(joined).options(*options).order_by(*order)


def read(db: Session, parts: list[Part], built: Select, values: dict) -> list[list[tuple]]:
    """Each part's rows, as tuples of its tables' records (None where an outer join found
    none), in the part's order; `built` is statement(parts), kept by the caller."""
    found: list[list[tuple]] = [[] for _ in parts]
    offsets, start = [], 1
    for part in parts:
        offsets.append(start)
        start += len(part.entities)
    for row in db.execute(built, values):
        n = row[0] - 1
        records = tuple(row[offsets[n]:offsets[n] + len(parts[n].entities)])
        if records[0] is not None:  # None: the part has no rows (its slot's one NULL row).
            found[n].append(records)
    return found
