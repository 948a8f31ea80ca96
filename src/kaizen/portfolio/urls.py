"""Portfolio UI routes."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "portfolio"

urlpatterns: list[URLPattern | URLResolver] = [
    *views.ServiceUI.urls(),
    *views.PackageUI.urls(),
    *views.DependencyUI.urls(),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("services/<int:pk>/impact/", views.service_impact, name="service-impact"),
    path("cis/<int:pk>/impact/", views.ci_impact, name="ci-impact"),
]
