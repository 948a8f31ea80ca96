"""Root URL configuration."""

from __future__ import annotations

from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from kaizen.core import health
from kaizen.core.views import api_not_found, server_error

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/v1/", include("kaizen.api_urls")),
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["kaizen.core"]), name="javascript-catalog"),
    path("", include("kaizen.core.urls")),
    path("", include("kaizen.accounts.urls")),
    path("", include("kaizen.cmdb.urls")),
    path("", include("kaizen.portfolio.urls")),
    path("", include("kaizen.webhooks.urls")),
    path("", include("kaizen.tickets.urls")),
    path("", include("kaizen.portal.urls")),
    path("", include("kaizen.requests.urls")),
    path("", include("kaizen.approvals.urls")),
    path("", include("kaizen.problems.urls")),
    path("", include("kaizen.releases.urls")),
    path("", include("kaizen.knowledge.urls")),
    path("", include("kaizen.changes.urls")),
    path("", include("kaizen.slm.urls")),
    path("", include("kaizen.search.urls")),
    path("monitoring/", include("kaizen.monitoring.urls")),
    path("mail/", include("kaizen.intake.urls")),
    path("service-levels/reports/", include("kaizen.slm.report_urls")),
]

handler404 = api_not_found
handler500 = server_error
