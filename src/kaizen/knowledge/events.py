"""Domain events of knowledge management (delivered after commit through the outbox)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kaizen.core.events import DomainEvent


@dataclass(frozen=True)
class ArticleStateChanged(DomainEvent):
    """An article was submitted, published, returned, revised, confirmed or retired (search indexes it)."""

    topic: ClassVar[str] = "knowledge.article_state_changed"
    article_id: int
    number: str
    action: str
    from_state: str
    to_state: str


@dataclass(frozen=True)
class ArticleChanged(DomainEvent):
    """An article was written, its text or settings changed, or it was deleted (search indexes it)."""

    topic: ClassVar[str] = "knowledge.article_changed"
    article_id: int
    number: str
