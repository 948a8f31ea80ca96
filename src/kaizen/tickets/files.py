"""Attachment files: safe names, an allow-list of types checked against the content, storage.

Files are stored under ``<DATA_DIR>/attachments/`` (outside the static and web roots) under a
random name; the user's file name is only kept, cleaned, in the database. The type is decided by
the content's signature, never by the name or the browser: a file whose content does not match
its extension (a "disguised" file) is refused, as is anything not on the allow-list.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_NAME = 200
TEXT_TYPES = {
    ".txt": "text/plain",
    ".log": "text/plain",
    ".csv": "text/csv",
    ".json": "application/json",
    ".yaml": "text/plain",
    ".yml": "text/plain",
    ".md": "text/plain",
    ".eml": "message/rfc822",
}
BINARY_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
    ".zip": "application/zip",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".ppt": "application/vnd.ms-powerpoint",
}
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
"""Types shown in the browser; everything else is downloaded."""
OOXML_PARTS = {".docx": "word/", ".xlsx": "xl/", ".pptx": "ppt/"}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed the checks: clean name, detected type, size and digest."""

    name: str
    content_type: str
    size: int
    sha256: str
    data: bytes


def clean_name(raw: str) -> str:
    """Return a safe display name: no directories, control or reserved characters, NFC, ≤ 200 chars."""
    name = unicodedata.normalize("NFC", str(raw or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")
    if not name or name in {".", ".."}:
        name = "file"
    if len(name) > MAX_NAME:
        stem, ext = os.path.splitext(name)
        name = stem[: MAX_NAME - len(ext[:20])] + ext[:20]
    return name


def _is_text(data: bytes) -> bool:
    if b"\x00" in data[:65536]:
        return False
    sample = data[:65536]
    for encoding in ("utf-8", "shift_jis", "cp932", "euc_jp"):
        try:
            sample.decode(encoding)
            return True
        except UnicodeDecodeError:
            # A cut multi-byte character at the end of the sample is not a reason to refuse.
            try:
                sample[:-3].decode(encoding)
                return True
            except UnicodeDecodeError:
                continue
    return False


def _signature(data: bytes, ext: str) -> str | None:
    """Return the type the content proves for ``ext``, or None when it does not match."""
    head = data[:16]
    if ext == ".png":
        return "image/png" if head.startswith(b"\x89PNG\r\n\x1a\n") else None
    if ext in (".jpg", ".jpeg"):
        return "image/jpeg" if head.startswith(b"\xff\xd8\xff") else None
    if ext == ".gif":
        return "image/gif" if head[:6] in (b"GIF87a", b"GIF89a") else None
    if ext == ".webp":
        return "image/webp" if head[:4] == b"RIFF" and head[8:12] == b"WEBP" else None
    if ext == ".pdf":
        return "application/pdf" if data[:1024].lstrip().startswith(b"%PDF-") else None
    if ext in (".doc", ".xls", ".ppt"):
        return BINARY_TYPES[ext] if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") else None
    if ext == ".zip" or ext in OOXML_PARTS:
        if not head.startswith(b"PK\x03\x04"):
            return None
        if ext == ".zip":
            return "application/zip"
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except (zipfile.BadZipFile, ValueError):
            return None
        if "[Content_Types].xml" in names and any(n.startswith(OOXML_PARTS[ext]) for n in names):
            return BINARY_TYPES[ext]
        return None
    if ext in TEXT_TYPES:
        return TEXT_TYPES[ext] if _is_text(data) else None
    return None


def check(raw_name: str, data: bytes) -> CheckedFile:
    """Validate an upload and return it with its clean name and detected type.

    Raises:
        ValidationError: empty, too large, a type not on the allow-list, or content that does
            not match the extension.
    """
    name = clean_name(raw_name)
    limit = int(settings.ATTACHMENT_MAX_BYTES)
    if not data:
        raise ValidationError({"file": _("The file is empty.")})
    if len(data) > limit:
        raise ValidationError(
            {
                "file": _("The file is too large (%(size)s bytes; the limit is %(limit)s).")
                % {"size": len(data), "limit": limit}
            }
        )
    ext = os.path.splitext(name)[1].lower()
    if ext not in TEXT_TYPES and ext not in BINARY_TYPES:
        allowed = ", ".join(sorted({*TEXT_TYPES, *BINARY_TYPES}))
        raise ValidationError(
            {"file": _("Files of this type are not accepted. Allowed: %(types)s.") % {"types": allowed}}
        )
    content_type = _signature(data, ext)
    if content_type is None:
        raise ValidationError(
            {
                "file": _("The content of %(name)s does not match its type; the file was refused.")
                % {"name": name}
            }
        )
    return CheckedFile(name, content_type, len(data), hashlib.sha256(data).hexdigest(), data)


def root() -> Path:
    """Return the attachment directory (created on first use, private to the service user)."""
    path = Path(settings.ATTACHMENT_ROOT)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def store(data: bytes) -> str:
    """Write ``data`` under a new random name and return that name."""
    storage_name = secrets.token_hex(20)
    target = root() / storage_name[:2] / storage_name
    target.parent.mkdir(exist_ok=True, mode=0o700)
    with open(target, "xb") as handle:
        handle.write(data)
    return storage_name


def path_of(storage_name: str) -> Path:
    """Return the path of a stored file (names are hex digests, never user input)."""
    if not re.fullmatch(r"[0-9a-f]{40}", storage_name):
        raise ValueError("invalid storage name")
    return root() / storage_name[:2] / storage_name


def remove(storage_name: str) -> None:
    """Delete a stored file if it is there (after its row was deleted or rolled back)."""
    with contextlib.suppress(FileNotFoundError, ValueError):
        path_of(storage_name).unlink()
