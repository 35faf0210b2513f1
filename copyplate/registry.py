"""Name -> implementation registries for plates, copy renderers and validators.

Built-ins register through the same `register()` call a third-party package's entry point
would use, so there is one code path for both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from copyplate.errors import InputError

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, group: str, what: str) -> None:
        self.group = group  # entry-point group, e.g. "copyplate.validators"
        self.what = what  # human word for messages, e.g. "validator"
        self._items: dict[str, T] = {}
        self._loaded_plugins = False

    def register(self, name: str) -> Callable[[T], T]:
        def deco(obj: T) -> T:
            if name in self._items and self._items[name] is not obj:
                msg = f"{self.what} {name!r} is registered twice"
                raise ValueError(msg)
            self._items[name] = obj
            return obj

        return deco

    def _load_plugins(self) -> None:
        if self._loaded_plugins:
            return
        self._loaded_plugins = True
        for ep in entry_points(group=self.group):
            if ep.name not in self._items:
                self._items[ep.name] = ep.load()

    def get(self, name: str) -> T:
        self._load_plugins()
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            msg = f"unknown {self.what} {name!r} (known: {known})"
            raise InputError(msg) from None

    def names(self) -> list[str]:
        self._load_plugins()
        return sorted(self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __contains__(self, name: object) -> bool:
        self._load_plugins()
        return name in self._items
