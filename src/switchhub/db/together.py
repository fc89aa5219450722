"""Several data-modifying statements as one: each a common table expression of a `SELECT 1`.

Why: after the statements of a complete switch went to the driver directly (db/driver.py), most of
what remained of the hub's and the area's CPU per statement was its round trip: the protocol
messages, the socket writes and the wake-ups on both ends (py-spy, docs/benchmarks.md P3). A
request that writes its history row, its jobs, its notifications and its audit record and reads
none of them back can send them together.

PostgreSQL runs every data-modifying CTE of a statement exactly once and to completion, all against
the statement's one snapshot: no write sees another's rows, and two writes of one row would be
applied in an unpredictable order. So writes are put together only when they touch different tables
(`targets`, read from the statement's `INSERT INTO` / `UPDATE` / `DELETE FROM`): the caller
(driver.hold) sends what it holds before a write to a table already held. Parameters are renamed
apart (`:x` → `:w1_x`); a statement's own `WITH` list is lifted into the combined one, so its
expression names must differ from the other statements' (`names`; the caller sends first otherwise).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_TARGET = re.compile(r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+([A-Za-z_]\w*)", re.IGNORECASE)
_NAME = re.compile(r"\s*([A-Za-z_]\w*)\s+AS\s*\(", re.IGNORECASE)


@functools.lru_cache(maxsize=512)
def targets(sql: str) -> frozenset[str]:
    """The tables `sql` writes (`ON CONFLICT … DO UPDATE SET` names no table)."""
    return frozenset(t.lower() for t in _TARGET.findall(sql) if t.lower() != "set")


def split_with(sql: str) -> tuple[list[tuple[str, str]], str]:
    """(its `WITH` list as (name, body) pairs, its main statement); ([], sql) without one."""
    text = sql.strip()
    if not re.match(r"WITH\s", text, re.IGNORECASE):
        return [], text
    ctes: list[tuple[str, str]] = []
    pos = 4
    while True:
        m = _NAME.match(text, pos)
        if m is None:
            raise ValueError(f"not a WITH list this module can lift: {text[:80]}")
        end = _closing(text, m.end() - 1)
        ctes.append((m.group(1), text[m.end():end]))
        pos = end + 1
        rest = text[pos:].lstrip()
        if not rest.startswith(","):
            return ctes, rest
        pos = len(text) - len(rest) + 1


def _closing(text: str, start: int) -> int:
    """The index of the parenthesis closing the one at `start` (quoted text skipped)."""
    depth, i, quoted = 0, start, False
    while i < len(text):
        c = text[i]
        if quoted:
            quoted = c != "'"
        elif c == "'":
            quoted = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError(f"unbalanced parentheses: {text[:80]}")


@functools.lru_cache(maxsize=512)
def names(sql: str) -> frozenset[str]:
    """The names of the statement's own `WITH` list (lifted as they are)."""
    return frozenset(n.lower() for n, _ in split_with(sql)[0])


def combine(writes: list[tuple[str, Mapping[str, Any]]]) -> tuple[str, dict[str, Any]]:
    """One statement doing all of `writes` (each (sql with `:name` parameters, parameters))."""
    if len(writes) == 1:
        return writes[0][0], dict(writes[0][1])
    ctes: list[str] = []
    params: dict[str, Any] = {}
    for i, (sql, values) in enumerate(writes, 1):
        prefix = f"w{i}_"
        renamed = _PARAM.sub(lambda m: f":{prefix}{m.group(1)}", sql)
        params.update({prefix + k: v for k, v in values.items()})
        inner, main = split_with(renamed)
        ctes += [f"{name} AS ({body})" for name, body in inner]
        ctes.append(f"_w{i} AS ({main})")
    return "WITH " + ", ".join(ctes) + " SELECT 1", params
