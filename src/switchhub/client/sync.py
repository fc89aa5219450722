"""`SwitchhubClient`: the same API for synchronous code, wrapping `AsyncSwitchhubClient`.

One implementation of every rule (retries, idempotency keys, pacing, typed errors) lives in the async
client; the sync client runs it on a private event loop in its own thread, so it also works where an
event loop is already running in the calling thread (a notebook, a Web framework). Coroutine methods
return their result; async iterators (`iter_*`, `feed`) become ordinary iterators.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Iterator
from typing import Any

from switchhub.client.client import AsyncSwitchhubClient
from switchhub.client.feed import FeedIterator


class SwitchhubClient:
    """Same constructor arguments and methods as AsyncSwitchhubClient, without `await`."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="switchhub-client", daemon=True)
        self._thread.start()
        self._async = self._run(self._make(base_url, kwargs))

    @staticmethod
    async def _make(base_url: str, kwargs: dict[str, Any]) -> AsyncSwitchhubClient:
        return AsyncSwitchhubClient(base_url, **kwargs)

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def _iterate(self, aiter: Any) -> Iterator[Any]:
        it = aiter.__aiter__()
        try:
            while True:
                try:
                    yield self._run(it.__anext__())
                except StopAsyncIteration:
                    return
        finally:
            if hasattr(it, "aclose"):
                self._run(it.aclose())

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._async, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            result = attr(*args, **kwargs)
            if inspect.iscoroutine(result):
                return self._run(result)
            if inspect.isasyncgen(result) or isinstance(result, FeedIterator):
                return SyncIterator(self, result)
            return result

        call.__doc__ = attr.__doc__
        call.__name__ = name
        return call

    def close(self) -> None:
        if self._loop.is_closed():
            return
        self._run(self._async.aclose())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> SwitchhubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SyncIterator:
    """An async iterator driven from the calling thread; `.cursor` passes through for the feed."""

    def __init__(self, client: SwitchhubClient, aiter: Any) -> None:
        self._aiter = aiter
        self._gen = client._iterate(aiter)

    def __iter__(self) -> SyncIterator:
        return self

    def __next__(self) -> Any:
        return next(self._gen)

    def close(self) -> None:
        self._gen.close()

    @property
    def cursor(self) -> str | None:
        return getattr(self._aiter, "cursor", None)
