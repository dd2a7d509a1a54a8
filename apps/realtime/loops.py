"""Objects that live once per event loop (Daphne runs one loop per process; tests one per
test): the fan-out hub, the publisher from sync code, the outage watch, chat's slot keeper."""

import asyncio
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class PerLoop(Generic[T]):
    """``factory()`` made once per event loop and forgotten with the loop."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._objects: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = (
            weakref.WeakKeyDictionary()
        )

    def get(self, loop: asyncio.AbstractEventLoop | None = None) -> T:
        """The object of ``loop`` (default: the running one)."""
        loop = loop or asyncio.get_running_loop()
        current = self._objects.get(loop)
        if current is None:
            current = self._objects[loop] = self._factory()
        return current
