"""Accounts UI routes."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "accounts"

urlpatterns: list[URLPattern | URLResolver] = [
    *views.OrganisationUI.urls(),
    *views.PersonUI.urls(),
    *views.TeamUI.urls(),
    *views.MembershipUI.urls(),
    path("people/<int:pk>/login/", views.give_login, name="people-login"),
    path("preferences/", views.preferences, name="preferences"),
]
