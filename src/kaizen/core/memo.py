"""Lookups remembered for the length of one batch of writes.

A batch create (a hundred tickets in one request) asks the same questions for every item: the
priority matrix, the business rules, the workflow's first state, whether the requester and the
service are visible to the actor. Inside :func:`batch` each answer is computed once and kept until
the batch ends; outside a batch :func:`remembered` simply computes, so single writes always see
the current data. Only reference data that the batch itself does not change may be remembered.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

_scope: ContextVar[dict[Hashable, Any] | None] = ContextVar("kaizen_memo", default=None)


@contextlib.contextmanager
def batch() -> Iterator[None]:
    """Remember lookups made inside the block; nested blocks join the outermost one."""
    if _scope.get() is not None:
        yield
        return
    token = _scope.set({})
    try:
        yield
    finally:
        _scope.reset(token)


def active() -> bool:
    """Tell whether a batch is remembering lookups."""
    return _scope.get() is not None


def remembered(key: Hashable, compute: Callable[[], T]) -> T:
    """Return ``compute()``, or inside a batch the value already computed for ``key``."""
    cache = _scope.get()
    if cache is None:
        return compute()
    if key in cache:
        value: T = cache[key]
        return value
    value = cache[key] = compute()
    return value


def _visible_key(model: Any, actor: Any, action: str, pk: int) -> Hashable:
    return ("visible", model._meta.label, getattr(actor, "pk", None), action, pk)


def visible(model: Any, actor: Any, pk: int, action: str = "view") -> Any:
    """Return the ``model`` row ``pk`` if ``actor`` may ``action`` it, else None (remembered in a batch)."""
    return remembered(
        _visible_key(model, actor, action, pk),
        lambda: model.objects.visible_to(actor, action).filter(pk=pk).first(),
    )


def prefetch_visible(model: Any, actor: Any, pks: Iterable[int], action: str = "view") -> None:
    """Inside a batch, look up the rows a batch will ask :func:`visible` for, in one query."""
    cache = _scope.get()
    if cache is None:
        return
    wanted = {pk for pk in pks if _visible_key(model, actor, action, pk) not in cache}
    if not wanted:
        return
    found = model.objects.visible_to(actor, action).in_bulk(wanted)
    for pk in wanted:
        cache[_visible_key(model, actor, action, pk)] = found.get(pk)
