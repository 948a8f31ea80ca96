"""Serving attachment files with safe headers (UI and API)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.http import FileResponse, Http404

from . import files
from .models import Attachment


def attachment_response(user: Any, attachment_id: int, *, inline: bool = False) -> FileResponse:
    """Return the file of an attachment ``user`` may see, as a download with defensive headers.

    Only images are ever shown inline; everything else is an attachment. ``nosniff`` and a
    sandboxing Content-Security-Policy stop a browser from running anything in the file.
    """
    attachment = Attachment.objects.visible_to(user).filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("No such attachment, or you may not see it.")
    try:
        handle = open(files.path_of(attachment.storage_name), "rb")  # noqa: SIM115 - FileResponse closes it
    except (FileNotFoundError, ValueError) as exc:
        raise Http404("The file is missing.") from exc
    show = inline and attachment.content_type in files.INLINE_TYPES
    response = FileResponse(handle, content_type=attachment.content_type)
    disposition = "inline" if show else "attachment"
    ascii_name = attachment.name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    response["Content-Disposition"] = (
        f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(attachment.name)}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["Cache-Control"] = "private, no-store"
    response["Content-Length"] = str(attachment.size)
    return response
