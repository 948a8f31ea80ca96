"""Routes of mail intake (``/mail/``): mailboxes, received messages."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from . import views

app_name = "intake"

urlpatterns: list[URLPattern | URLResolver] = [
    path("messages/<int:pk>/", views.message_detail, name="message"),
    path("messages/<int:pk>/original/", views.message_original, name="message-original"),
    path("mailboxes/<int:pk>/poll/", views.poll_now, name="mailboxes-poll"),
    path("", include(views.MailboxUI.urls())),
]
