"""API endpoints of service level management: calendars, tiers, agreements, outages, ticket clocks."""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kaizen.core.api.viewsets import RecordViewSet
from kaizen.tickets.models import Ticket

from .. import queries, services
from ..models import Agreement, BusinessCalendar, Outage, ServiceTier
from . import serializers

_tier = services.record_services(ServiceTier)
_outage = services.record_services(Outage)


class CalendarViewSet(RecordViewSet):
    """Business calendars. A changed definition holds from the moment of the change."""

    model = BusinessCalendar
    serializer_class = serializers.CalendarSerializer
    create_service = staticmethod(services.create_calendar)
    update_service = staticmethod(services.update_calendar)
    delete_service = staticmethod(services.delete_calendar)


class TierViewSet(RecordViewSet):
    """Service tiers (gold, silver, bronze): reusable targets per priority."""

    model = ServiceTier
    serializer_class = serializers.TierSerializer
    create_service = staticmethod(_tier[0])
    update_service = staticmethod(_tier[1])
    delete_service = staticmethod(_tier[2])


class AgreementViewSet(RecordViewSet):
    """SLAs, OLAs and underpinning contracts."""

    model = Agreement
    serializer_class = serializers.AgreementSerializer
    create_service = staticmethod(services.create_agreement)
    update_service = staticmethod(services.update_agreement)
    delete_service = staticmethod(services.delete_agreement)
    select_related = ("tier",)
    prefetch_related = ("pause_states", "supplier_states")


class OutageViewSet(RecordViewSet):
    """Outages of services (the availability figures of the SLA reports)."""

    model = Outage
    serializer_class = serializers.OutageSerializer
    create_service = staticmethod(_outage[0])
    update_service = staticmethod(_outage[1])
    delete_service = staticmethod(_outage[2])


class TicketClocksView(APIView):
    """The service level clocks of one ticket, computed now from its state history."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(responses={200: serializers.ClockSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        """Return the ticket's clocks (an empty list when no agreement applies)."""
        if not Ticket.objects.visible_to(request.user).filter(pk=pk).exists():
            raise Http404
        found = queries.ticket_clocks([pk], now=timezone.now()).get(pk, [])
        return Response(
            serializers.ClockSerializer([serializers.ClockSerializer.row(c) for c in found], many=True).data
        )
