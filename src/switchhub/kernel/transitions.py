"""One transition engine for every stateful record (relays at the hub, applications in the area).

A `Rule` names the states it leaves and the state it enters, the coded reason it records and,
optionally, precondition hooks that can refuse it with a typed error (Prefect's orchestration
rules). `Machine.apply` is the only way a state changes: it checks the rule, runs the hooks,
writes the new state and the history row through the store the domain gives it, and returns
the updated record. API routes, jobs, event handlers, the sandbox and tests all go through it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from switchhub.kernel.errors import SwitchhubError

S = TypeVar("S", bound=Enum)
Record = dict[str, Any]
Precondition = Callable[[Record, Mapping[str, Any]], "SwitchhubError | None"]


@dataclass(frozen=True)
class Rule(Generic[S]):
    """A named transition: from any of `leaves` to `enters`, recording `reason`."""

    name: str
    leaves: frozenset[S]
    enters: S
    reason: Enum
    preconditions: tuple[Precondition, ...] = field(default=())

    def allows(self, state: str | None) -> bool:
        return state in {s.value for s in self.leaves} if state is not None else not self.leaves


class Store(Protocol):
    """How a domain persists a transition (its repository); the engine decides when."""

    async def write_state(self, conn: AsyncConnection, record: Record, sets: dict[str, Any]) -> None: ...

    async def write_history(self, conn: AsyncConnection, record: Record, *, from_state: str | None, to_state: str,
                            rule: str, reason: str, actor: str, detail: dict[str, Any] | None) -> None: ...


class TransitionStore(Protocol):
    """A store that writes the state (`sets`, or None for a record just inserted) and its history row
    together, in one statement where the database allows it; the engine then calls only this. Each
    stage change of an application was four round trips (state, feed lock, history, event) and a
    complete switch makes six of them (docs/benchmarks.md P3)."""

    async def write_transition(self, conn: AsyncConnection, record: Record, sets: dict[str, Any] | None, *,
                               from_state: str | None, to_state: str, rule: str, reason: str, actor: str,
                               detail: dict[str, Any] | None) -> None: ...


RefusalFactory = Callable[[Record, "Rule[Any]"], SwitchhubError]


class Machine(Generic[S]):
    """The rules of one record type; `state_field` is the record's state column."""

    def __init__(self, name: str, state_field: str, reason_field: str, rules: Iterable[Rule[S]],
                 store: Store | TransitionStore,
                 refusal: RefusalFactory,
                 after: Callable[[AsyncConnection, Record, Rule[S], str | None], Awaitable[None]] | None = None
                 ) -> None:
        self.name, self.state_field, self.reason_field = name, state_field, reason_field
        self.rules: dict[str, Rule[S]] = {}
        for rule in rules:
            if rule.name in self.rules:
                raise ValueError(f"duplicate rule {rule.name} in {name}")
            self.rules[rule.name] = rule
        self.store, self.refusal, self.after = store, refusal, after

    def rule(self, name: str) -> Rule[S]:
        return self.rules[name]

    def can(self, record: Record, rule_name: str) -> bool:
        return self.rules[rule_name].allows(record.get(self.state_field))

    async def apply(self, conn: AsyncConnection, record: Record, rule_name: str, *, actor: str,
                    reason: Enum | str | None = None, changes: dict[str, Any] | None = None,
                    detail: dict[str, Any] | None = None, context: Mapping[str, Any] | None = None,
                    new: bool = False) -> Record:
        """Move `record` (locked by the caller) through the named rule; returns the updated record.

        `new=True` records the first state of a record just inserted (a rule that leaves nothing).
        """
        rule = self.rules[rule_name]
        current = None if new else record.get(self.state_field)
        if not rule.allows(current):
            raise self.refusal(record, rule)
        for hook in rule.preconditions:
            refusal = hook(record, context or {})
            if refusal is not None:
                raise refusal
        code = str(reason.value if isinstance(reason, Enum) else reason) if reason else str(rule.reason.value)
        sets = {self.state_field: rule.enters.value, self.reason_field: code, **(changes or {})}
        updated = {**record, **sets}
        await self._write(conn, record, updated, None if new else sets, {
            "from_state": current, "to_state": rule.enters.value, "rule": rule.name, "reason": code, "actor": actor,
            "detail": detail})
        if self.after is not None:
            await self.after(conn, updated, rule, current)
        return updated


    async def _write(self, conn: AsyncConnection, record: Record, updated: Record, sets: dict[str, Any] | None,
                     history: dict[str, Any]) -> None:
        """The store writes the state (`sets`; None for a record just inserted) and the history row of
        `updated`: together when it is a TransitionStore, else the state of `record` then the history."""
        together = getattr(self.store, "write_transition", None)
        if together is not None:
            await together(conn, updated, sets, **history)
            return
        if sets is not None:
            await self.store.write_state(conn, record, sets)
        await self.store.write_history(conn, updated, **history)

    async def record_new(self, conn: AsyncConnection, records: list[Record], rule_name: str, *, actor: str,
                         detail: dict[str, Any] | None = None) -> list[Record]:
        """`apply(..., new=True)` for many records just inserted (a bulk file's rows): the same rule and
        hooks for each, and their history rows written at once when the store can (`write_history_many`)."""
        rule = self.rules[rule_name]
        if not rule.allows(None):
            raise ValueError(f"rule {rule_name} does not start a record")
        code = str(rule.reason.value)
        updated = []
        for record in records:
            for hook in rule.preconditions:
                refusal = hook(record, {})
                if refusal is not None:
                    raise refusal
            updated.append({**record, self.state_field: rule.enters.value, self.reason_field: code})
        many = getattr(self.store, "write_history_many", None)
        rows = [{"record": r, "from_state": None, "to_state": rule.enters.value, "rule": rule.name, "reason": code,
                 "actor": actor, "detail": detail} for r in updated]
        if many is not None:
            await many(conn, rows)
        else:
            for row in rows:
                record = row.pop("record")
                await self._write(conn, record, record, None, row)
        if self.after is not None:
            for r in updated:
                await self.after(conn, r, rule, None)
        return updated


def states(*members: Enum) -> frozenset[Any]:
    return frozenset(members)
