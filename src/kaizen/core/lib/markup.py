"""Markdown to safe HTML for ticket descriptions, comments and articles.

Text is stored as the user typed it; it is rendered on display. markdown-it-py renders
CommonMark with raw HTML switched off (``<script>`` stays visible text) and refuses dangerous link
schemes; nh3 (the Rust sanitiser ammonia) then allows only a fixed set of tags and attributes,
as a second line of defence, and marks every link ``rel="noopener noreferrer nofollow"``.
"""

from __future__ import annotations

import functools

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
"""No ``style``: the Content Security Policy forbids inline styles (table alignment is dropped)."""
MAX_RENDER = 100_000


@functools.cache
def _parser() -> MarkdownIt:
    return (
        MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})
        .enable("table")
        .enable("strikethrough")
    )


def render(text: str | None) -> SafeString:
    """Return ``text`` (Markdown) as sanitised HTML, safe to insert in a page."""
    if not text:
        return mark_safe("")
    html = _parser().render(str(text)[:MAX_RENDER])
    clean = nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 above
