"""Following the applications feed (IF_11110) from an opaque cursor.

The hub answers `items` after the cursor and a `next_cursor` that continues exactly where they
ended; an integration stores the cursor after it has handled the items, so a restart neither loses
nor repeats any. In follow mode an empty page is not the end: the iterator sleeps and asks again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from switchhub.client import models as m


class FeedIterator:
    """`async for item in client.feed(cursor)`; `.cursor` is the position after the last page read
    (store it once the items are handled), `.unavailable_areas` those the last page could not reach."""

    def __init__(self, page: Callable[..., Awaitable[m.FeedAnswer]], sleep: Callable[[float], Awaitable[Any]],
                 cursor: str = "", *, follow: bool = False, poll_interval: float = 5.0,
                 limit: int | None = None) -> None:
        self._page, self._sleep = page, sleep
        self.cursor = cursor
        self.follow, self.poll_interval, self.limit = follow, poll_interval, limit
        self.unavailable_areas: list[m.FeedUnavailableArea] = []
        self._buffer: list[m.HubFeedItem] = []
        self._pending_cursor: str | None = None

    def __aiter__(self) -> FeedIterator:
        return self

    async def __anext__(self) -> m.HubFeedItem:
        while not self._buffer:
            if self._pending_cursor is not None:
                self.cursor, self._pending_cursor = self._pending_cursor, None
            answer = await self._page(self.cursor, limit=self.limit)
            self.unavailable_areas = list(answer.unavailable_areas or [])
            if answer.items:
                self._buffer = list(answer.items)
                self._pending_cursor = answer.next_cursor
                break
            self.cursor = answer.next_cursor or self.cursor
            if not self.follow:
                raise StopAsyncIteration
            await self._sleep(self.poll_interval)
        item = self._buffer.pop(0)
        if not self._buffer and self._pending_cursor is not None:
            self.cursor, self._pending_cursor = self._pending_cursor, None
        return item
