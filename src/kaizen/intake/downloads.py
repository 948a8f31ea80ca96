"""Serving a received message's original bytes (UI and API): always a download, never rendered."""

from __future__ import annotations

from django.http import HttpResponse

from .models import InboundMail


def original_response(mail: InboundMail) -> HttpResponse:
    """Return the message exactly as received, as an ``.eml`` download with defensive headers."""
    response = HttpResponse(bytes(mail.raw), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="message-{mail.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
