"""``/api/v1/`` routes: every domain registers its view sets here."""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from kaizen.accounts.api.views import (
    MembershipViewSet,
    MeView,
    OrganisationViewSet,
    PersonViewSet,
    TeamViewSet,
)
from kaizen.approvals.api.views import ApprovalViewSet, RoundViewSet
from kaizen.changes.api.views import (
    CabAgendaView,
    ChangeBoardViewSet,
    ChangeCalendarView,
    ChangeKpiView,
    ChangeTemplateViewSet,
    ChangeViewSet,
    ChangeWindowViewSet,
    RiskQuestionsView,
)
from kaizen.cmdb.api.views import (
    CITypeViewSet,
    CIViewSet,
    ImportJobView,
    ImportView,
    RelationshipRuleViewSet,
    RelationshipTypeViewSet,
    RelationshipViewSet,
    SoftwareViewSet,
    export_cis,
)
from kaizen.core.api.audit import AuditViewSet
from kaizen.core.api.me import TokenViewSet
from kaizen.intake.api.views import MailboxViewSet, MailMessageViewSet
from kaizen.knowledge.api.faq import FaqRunViewSet
from kaizen.knowledge.api.views import ArticleViewSet
from kaizen.monitoring import intake
from kaizen.monitoring.api.views import AlertViewSet, IntegrationViewSet
from kaizen.portfolio.api.views import (
    CIImpactView,
    DependencyViewSet,
    PackageViewSet,
    ServiceImpactView,
    ServiceViewSet,
)
from kaizen.problems.api.views import (
    DebtListView,
    IncidentKnownErrorsView,
    KnownErrorViewSet,
    ProblemDetailsView,
    ProblemFixView,
    ProblemFromIncidentsView,
)
from kaizen.releases.api.views import (
    AcceptanceItemViewSet,
    ChecklistItemViewSet,
    ChecklistViewSet,
    ReleaseViewSet,
)
from kaizen.requests.api.views import CatalogItemViewSet, TaskViewSet
from kaizen.search.api.views import SearchView, SimilarView
from kaizen.slm.api.reports import SlaReportView
from kaizen.slm.api.views import (
    AgreementViewSet,
    CalendarViewSet,
    OutageViewSet,
    TicketClocksView,
    TierViewSet,
)
from kaizen.tickets.api.views import (
    AttachmentContentView,
    IncidentViewSet,
    ProblemViewSet,
    RequestViewSet,
    TicketLinkViewSet,
)
from kaizen.webhooks.api.views import EndpointViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("people", PersonViewSet, basename="person")
router.register("teams", TeamViewSet, basename="team")
router.register("memberships", MembershipViewSet, basename="membership")
router.register("ci-types", CITypeViewSet, basename="ci-type")
router.register("cis", CIViewSet, basename="ci")
router.register("relationship-types", RelationshipTypeViewSet, basename="relationship-type")
router.register("relationship-rules", RelationshipRuleViewSet, basename="relationship-rule")
router.register("relationships", RelationshipViewSet, basename="relationship")
router.register("software", SoftwareViewSet, basename="software")
router.register("services", ServiceViewSet, basename="service")
router.register("service-packages", PackageViewSet, basename="service-package")
router.register("service-dependencies", DependencyViewSet, basename="service-dependency")
router.register("incidents", IncidentViewSet, basename="incident")
router.register("requests", RequestViewSet, basename="request")
router.register("problems", ProblemViewSet, basename="problem")
router.register("changes", ChangeViewSet, basename="change")
router.register("change-templates", ChangeTemplateViewSet, basename="change-template")
router.register("change-boards", ChangeBoardViewSet, basename="change-board")
router.register("change-windows", ChangeWindowViewSet, basename="change-window")
router.register("ticket-links", TicketLinkViewSet, basename="ticket-link")
router.register("releases", ReleaseViewSet, basename="release")
router.register("release-items", AcceptanceItemViewSet, basename="release-item")
router.register("release-checklists", ChecklistViewSet, basename="release-checklist")
router.register("release-checklist-items", ChecklistItemViewSet, basename="release-checklist-item")
router.register("known-errors", KnownErrorViewSet, basename="known-error")
router.register("faq-runs", FaqRunViewSet, basename="faq-run")
router.register("articles", ArticleViewSet, basename="article")
router.register("catalog-items", CatalogItemViewSet, basename="catalog-item")
router.register("approvals", ApprovalViewSet, basename="approval")
router.register("approval-rounds", RoundViewSet, basename="approval-round")
router.register("tasks", TaskViewSet, basename="task")
router.register("webhooks", EndpointViewSet, basename="webhook")
router.register("calendars", CalendarViewSet, basename="calendar")
router.register("service-tiers", TierViewSet, basename="service-tier")
router.register("agreements", AgreementViewSet, basename="agreement")
router.register("outages", OutageViewSet, basename="outage")
router.register("monitoring-integrations", IntegrationViewSet, basename="monitoring-integration")
router.register("alerts", AlertViewSet, basename="alert")
router.register("mailboxes", MailboxViewSet, basename="mailbox")
router.register("mail-messages", MailMessageViewSet, basename="mail-message")
router.register("audit", AuditViewSet, basename="audit")
router.register("me/tokens", TokenViewSet, basename="token")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("me/", MeView.as_view(), name="api-me"),
    path("cis/export/", export_cis, name="api-ci-export"),
    path("cmdb/import/", ImportView.as_view(), name="api-cmdb-import"),
    path("cmdb/import/<int:pk>/", ImportJobView.as_view(), name="api-cmdb-import-job"),
    path("cis/<int:pk>/impact/", CIImpactView.as_view(), name="api-ci-impact"),
    path("services/<int:pk>/impact/", ServiceImpactView.as_view(), name="api-service-impact"),
    path("attachments/<int:pk>/content/", AttachmentContentView.as_view(), name="api-attachment-content"),
    path("reports/sla/", SlaReportView.as_view(), name="api-sla-report"),
    path("search/", SearchView.as_view(), name="api-search"),
    path("search/similar/", SimilarView.as_view(), name="api-similar"),
    path("change-calendar/", ChangeCalendarView.as_view(), name="api-change-calendar"),
    path("cab-agenda/", CabAgendaView.as_view(), name="api-cab-agenda"),
    path("change-risk-questions/", RiskQuestionsView.as_view(), name="api-change-risk-questions"),
    path("change-kpis/", ChangeKpiView.as_view(), name="api-change-kpis"),
    path("tickets/<int:pk>/clocks/", TicketClocksView.as_view(), name="api-ticket-clocks"),
    path("problems/from-incidents/", ProblemFromIncidentsView.as_view(), name="api-problem-from-incidents"),
    path("problems/debt/", DebtListView.as_view(), name="api-problem-debt"),
    path("problems/<int:pk>/details/", ProblemDetailsView.as_view(), name="api-problem-details"),
    path("problems/<int:pk>/fix/", ProblemFixView.as_view(), name="api-problem-fix"),
    path(
        "incidents/<int:pk>/known-errors/",
        IncidentKnownErrorsView.as_view(),
        name="api-incident-known-errors",
    ),
    path("events/<str:source>/", intake.receive, name="api-events"),
    path("", include(router.urls)),
]
