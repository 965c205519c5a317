"""Concurrency limits per key (a host, an uplink NVR): no NVR gets 64 requests at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class KeyedLimiter:
    def __init__(self, per_key: int) -> None:
        if per_key < 1:
            raise ValueError("a limit per key must be at least 1")
        self.per_key = per_key
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, key: str | None) -> AsyncIterator[None]:
        if key is None:
            yield
            return
        semaphore = self._slots.get(key)
        if semaphore is None:
            semaphore = self._slots[key] = asyncio.Semaphore(self.per_key)
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with semaphore:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:  # forget idle keys: 43,000 hosts must not pile up
                del self._users[key]
                del self._slots[key]

    def in_use(self, key: str) -> int:
        semaphore = self._slots.get(key)
        return 0 if semaphore is None else self.per_key - semaphore._value
