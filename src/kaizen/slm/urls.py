"""Routes of service level management (``/service-levels/``)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from . import views

app_name = "slm"

pages: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("calendars/<int:pk>/month/", views.calendar_month, name="calendar-month"),
    path("calendars/<int:pk>/import/", views.import_ics, name="calendar-import"),
    path("tickets/<int:pk>/agreement/", views.assign, name="assign"),
]
for ui, _label in views.PAGES:
    pages += [path("", include(ui.urls()))]

urlpatterns: list[URLPattern | URLResolver] = [path("service-levels/", include(pages))]
