"""A record and its child rows read by one statement (a LEFT JOIN of the children), split apart.

Why: an answer that shows a record with its history (an application, a relay) read them with two
statements, two round trips in every filing and decision (docs/benchmarks.md P3). The join repeats
the record's columns on each child row; the children's columns carry a prefix (`h_`), and a record
without children comes back as one row whose child columns are all NULL (`present` is NULL then).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def split(rows: Iterable[Mapping[str, Any]], prefix: str, present: str
          ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """(the record, its children in row order) from the joined rows; (None, []) when there are none.
    `present` is a child column that is never NULL in a real child row (e.g. its timestamp)."""
    record: dict[str, Any] | None = None
    children: list[dict[str, Any]] = []
    n = len(prefix)
    for row in rows:
        if record is None:
            record = {k: v for k, v in row.items() if not k.startswith(prefix)}
        if row[prefix + present] is not None:
            children.append({k[n:]: v for k, v in row.items() if k.startswith(prefix)})
    return record, children
