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
from kaizen.core.api.audit import AuditViewSet
from kaizen.core.api.me import TokenViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("people", PersonViewSet, basename="person")
router.register("teams", TeamViewSet, basename="team")
router.register("memberships", MembershipViewSet, basename="membership")
router.register("audit", AuditViewSet, basename="audit")
router.register("me/tokens", TokenViewSet, basename="token")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("me/", MeView.as_view(), name="api-me"),
    path("", include(router.urls)),
]
