"""Declarative description of one model's pages (list, detail, create, edit, delete).

A domain describes each exposed model once with a :class:`ModelUI` subclass; the generic views
in :mod:`kaizen.core.ui.views` render every page from it, and ``ui.urls()`` gives the routes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from django.db.models import Model, QuerySet
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.functional import Promise

_registry: dict[type[Model], type[ModelUI]] = {}


@dataclass(frozen=True)
class RelatedPanel:
    """A list of related records shown on a detail page (people of an organisation, ...)."""

    title: str | Promise
    rows: Callable[[Any, Any], QuerySet[Any]]
    """(object, user) -> queryset; it must start from ``visible_to(user)``."""
    columns: Sequence[str]
    related_model: type[Model]
    create_param: str = ""
    """Query parameter that pre-fills this object on the related model's create form."""


class ModelUI:
    """Pages of one model. Subclass and set the class attributes; call :meth:`urls`."""

    model: ClassVar[type[Model]]
    slug: ClassVar[str]
    """URL segment and name prefix, e.g. ``teams`` -> ``/teams/`` and ``accounts:teams-list``."""
    namespace: ClassVar[str]
    form_class: ClassVar[type[Any]]
    filterset_class: ClassVar[type[Any] | None] = None
    columns: ClassVar[Sequence[str]] = ("__str__",)
    """List columns: field names (``organisation``, ``kind``) or ``__str__``."""
    detail_fields: ClassVar[Sequence[str]] = ()
    sortable: ClassVar[Sequence[str]] = ()
    select_related: ClassVar[Sequence[str]] = ()
    prefetch_related: ClassVar[Sequence[str]] = ()
    related_panels: ClassVar[Sequence[RelatedPanel]] = ()
    create_service: ClassVar[Callable[..., Any]]
    update_service: ClassVar[Callable[..., Any]]
    delete_service: ClassVar[Callable[..., Any]]
    paginate_by: ClassVar[int] = 50
    icon: ClassVar[str] = ""
    detail_template: ClassVar[str] = "core/record_detail.html"
    detail_view: ClassVar[type[Any] | None] = None
    """A subclass of the generic detail view for this model's page (extra POST handling, ...)."""
    default_filters: ClassVar[dict[str, str]] = {}
    """Filter values applied when the list is opened without any (e.g. only current rows)."""

    @classmethod
    def extra_context(cls, obj: Any, user: Any) -> dict[str, Any]:
        """Return extra template context for the detail page of ``obj``."""
        return {}

    @classmethod
    def list_actions(cls, request: Any) -> list[dict[str, str]]:
        """Return extra links for the list page header (export, import, ...)."""
        return []

    @classmethod
    def delete_needs_change(cls, obj: Any) -> bool:
        """Tell whether deleting ``obj`` needs the change under which it is done (asked on the page)."""
        return False

    @classmethod
    def url_name(cls, action: str) -> str:
        return f"{cls.namespace}:{cls.slug}-{action}"

    @classmethod
    def urls(cls) -> list[URLPattern]:
        """Return the five routes of this model's pages."""
        from kaizen.core.ui import views

        _registry[cls.model] = cls
        return [
            path(f"{cls.slug}/", views.RecordListView.as_view(ui=cls), name=f"{cls.slug}-list"),
            path(f"{cls.slug}/new/", views.RecordCreateView.as_view(ui=cls), name=f"{cls.slug}-create"),
            path(
                f"{cls.slug}/<int:pk>/",
                (cls.detail_view or views.RecordDetailView).as_view(ui=cls),
                name=f"{cls.slug}-detail",
            ),
            path(
                f"{cls.slug}/<int:pk>/edit/", views.RecordUpdateView.as_view(ui=cls), name=f"{cls.slug}-edit"
            ),
            path(
                f"{cls.slug}/<int:pk>/delete/",
                views.RecordDeleteView.as_view(ui=cls),
                name=f"{cls.slug}-delete",
            ),
        ]

    @classmethod
    def queryset(cls, user: Any, action: str = "view") -> QuerySet[Any]:
        """Return the records ``user`` may perform ``action`` on, with related rows loaded."""
        qs: QuerySet[Any] = cls.model.objects.visible_to(user, action)  # type: ignore[attr-defined]
        if cls.select_related:
            qs = qs.select_related(*cls.select_related)
        if cls.prefetch_related:
            qs = qs.prefetch_related(*cls.prefetch_related)
        return qs

    @classmethod
    def create(cls, *, actor: Any, form: Any) -> Any:
        """Create the record through the domain service."""
        return cls.create_service(actor=actor, **form.service_arguments())

    @classmethod
    def update(cls, obj: Any, *, actor: Any, form: Any, version: int | None) -> Any:
        """Change the record through the domain service (``data`` becomes ``changes``)."""
        kwargs = form.service_arguments()
        changes = kwargs.pop("data")
        return cls.update_service(obj.pk, actor=actor, changes=changes, version=version, **kwargs)

    @classmethod
    def delete(cls, obj: Any, *, actor: Any, version: int | None, change: str = "") -> None:
        """Delete the record through the domain service."""
        if cls.delete_needs_change(obj):
            cls.delete_service(obj.pk, actor=actor, version=version, change=change)
        else:
            cls.delete_service(obj.pk, actor=actor, version=version)


def ui_for(model: type[Model]) -> type[ModelUI] | None:
    """Return the registered pages of ``model`` (None when it has none)."""
    return _registry.get(model)


def detail_url(obj: Model) -> str:
    """Return the detail page address of ``obj``, or an empty string when it has none."""
    ui = ui_for(type(obj))
    if ui is None or obj.pk is None:
        return ""
    try:
        return reverse(ui.url_name("detail"), args=[obj.pk])
    except NoReverseMatch:
        return ""
