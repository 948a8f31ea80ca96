"""``GET /api/v1/search/?q=&type=&limit=&offset=``: search what the caller may see."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import queries, similarity, sources


def _integer(request: Request, name: str, default: int, digits: int = 6) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > digits:
        raise serializers.ValidationError({name: [_("A whole number is required.")]})
    return int(raw)


class SearchView(APIView):
    """Tickets (and later knowledge articles) whose text holds every word of ``q``, best first.

    Japanese and English; search syntax characters in ``q`` are plain text. ``type`` is a
    comma-separated list of record types (``incident,request,problem,change``).
    """

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q", str, required=True, description="What to search for (1 to 1,000 characters)."
            ),
            OpenApiParameter("type", str, description="Record types, comma-separated."),
            OpenApiParameter("limit", int, description=f"1 to {queries.MAX_LIMIT} (default 20)."),
            OpenApiParameter("offset", int, description="Hits to skip (default 0)."),
        ],
        responses={200: dict},
    )
    def get(self, request: Request) -> Response:
        q = request.query_params.get("q", "")
        raw_types = request.query_params.get("type")
        types = [t.strip() for t in raw_types.split(",") if t.strip()] if raw_types is not None else None
        limit = _integer(request, "limit", 20)
        offset = _integer(request, "offset", 0)
        found = queries.search(request.user, q, types=types, limit=limit, offset=offset)
        return Response(
            {
                "results": [
                    {
                        "type": h.record_type,
                        "id": h.record_id,
                        "number": h.number,
                        "title": h.title,
                        "title_html": h.title_html,
                        "snippet": h.snippet,
                        "score": h.score,
                    }
                    for h in found.hits
                ],
                "terms": found.terms,
                "next_offset": offset + limit if found.has_more else None,
            }
        )


class SimilarView(APIView):
    """The records most alike in meaning to one record you may see (Japanese and English alike).

    ``type`` and ``id`` name the record (``incident`` and its id); ``limit`` 1 to 20 (default 5).
    Only incidents, problems and knowledge articles are offered, each with its similarity (0 to 1).
    """

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("type", str, required=True, description="Record type of the record."),
            OpenApiParameter("id", int, required=True, description="Id of the record."),
            OpenApiParameter("limit", int, description="1 to 20 (default 5)."),
        ],
        responses={200: dict},
    )
    def get(self, request: Request) -> Response:
        record_type = request.query_params.get("type", "")
        if record_type not in sources.record_types():
            raise serializers.ValidationError(
                {"type": [_("Unknown record type: %(types)s.") % {"types": record_type[:40]}]}
            )
        if "id" not in request.query_params:
            raise serializers.ValidationError({"id": [_("A whole number is required.")]})
        record_id = _integer(request, "id", 0, digits=18)
        limit = _integer(request, "limit", 5)
        if not 1 <= limit <= 20:
            raise serializers.ValidationError({"limit": [_("The limit is 1 to %(n)s.") % {"n": 20}]})
        found = similarity.similar_to(request.user, record_type, record_id, limit=limit)
        return Response(
            {
                "results": [
                    {
                        "type": s.record_type,
                        "id": s.record_id,
                        "number": s.number,
                        "title": s.title,
                        "score": s.score,
                    }
                    for s in found
                ]
            }
        )
