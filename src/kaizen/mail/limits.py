"""Bounds on what one message may cost to parse, and the errors raised past them.

Every bound is checked before the work it protects (size, lines, header block and MIME nesting
before the standard library parser runs; parts and attachments before their payloads are
decoded), so a hostile message costs at most a bounded amount of memory and CPU.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What :func:`kaizen.mail.parse.parse` accepts; a message past a hard bound raises a ParseError.

    Hard bounds (raise): ``max_bytes``, ``max_lines``, ``max_header_bytes`` (the header block of
    the message and of each part), ``max_depth`` (multipart and message/rfc822 nesting),
    ``max_parts`` and ``max_attachments``. Soft bounds (the value is cut and a defect noted):
    ``max_subject``, ``max_addresses``, ``max_references``, ``max_filename_bytes``.
    """

    max_bytes: int = 25 * MIB
    max_lines: int = 1_000_000
    max_header_bytes: int = 256 * 1024
    max_depth: int = 20
    max_parts: int = 200
    max_attachments: int = 100
    max_subject: int = 1_000
    max_addresses: int = 500
    max_references: int = 100
    max_filename_bytes: int = 255


DEFAULT_LIMITS = Limits()


class ParseError(ValueError):
    """The message cannot be parsed within the limits; the message says why (shown to admins)."""


class EmptyMessage(ParseError):
    """The input holds nothing but white space."""

    def __init__(self) -> None:
        super().__init__(_("The message is empty."))


class MessageTooLarge(ParseError):
    """The raw message is larger than ``Limits.max_bytes``."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            _("The message is %(size)s bytes; at most %(limit)s bytes are accepted.")
            % {"size": f"{size:,}", "limit": f"{limit:,}"}
        )


class TooManyLines(ParseError):
    """The raw message has more lines than ``Limits.max_lines``."""

    def __init__(self, lines: int, limit: int) -> None:
        super().__init__(
            _("The message has %(lines)s lines; at most %(limit)s are accepted.")
            % {"lines": f"{lines:,}", "limit": f"{limit:,}"}
        )


class HeaderTooLarge(ParseError):
    """A header block (of the message or of one part) is larger than ``Limits.max_header_bytes``."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            _("A header block of the message is larger than %(limit)s bytes.") % {"limit": f"{limit:,}"}
        )


class TooDeeplyNested(ParseError):
    """MIME parts are nested deeper than ``Limits.max_depth``."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            _("The message nests its parts more than %(limit)s levels deep.") % {"limit": f"{limit:,}"}
        )


class TooManyParts(ParseError):
    """The message has more MIME parts than ``Limits.max_parts``."""

    def __init__(self, limit: int) -> None:
        super().__init__(_("The message has more than %(limit)s parts.") % {"limit": f"{limit:,}"})


class TooManyAttachments(ParseError):
    """The message has more attachments than ``Limits.max_attachments``."""

    def __init__(self, limit: int) -> None:
        super().__init__(_("The message has more than %(limit)s attachments.") % {"limit": f"{limit:,}"})


class MalformedMessage(ParseError):
    """The standard library parser failed on the message in a way no limit foresaw."""

    def __init__(self) -> None:
        super().__init__(_("The message is malformed and could not be read."))
