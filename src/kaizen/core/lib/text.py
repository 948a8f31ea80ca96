"""Pure text helpers."""

from __future__ import annotations

import re

# C0 controls except tab, newline and carriage return; DEL; C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def has_control_characters(value: str) -> bool:
    """Tell whether ``value`` holds control characters other than tab and line breaks."""
    return _CONTROL.search(value) is not None
