"""Platform UI routes: sign-in, dashboard, audit trail, language switch."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, path

from kaizen.core.ui import pages

urlpatterns: list[URLPattern | URLResolver] = [
    path("", pages.dashboard, name="dashboard"),
    path("audit/", pages.audit_trail, name="audit-trail"),
    path("language/", pages.set_language, name="set-language"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="core/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(template_name="core/password_change.html"),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="core/password_change_done.html"),
        name="password_change_done",
    ),
]
