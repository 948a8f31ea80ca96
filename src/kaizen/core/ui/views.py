"""Generic pages for any :class:`~kaizen.core.ui.registry.ModelUI`: list, detail, create, edit, delete.

Each view is thin: parse, authorise through ``visible_to``/``can``, call one domain service,
render. Service errors become form errors (validation, stale version, permission on the chosen
organisation), never a 500.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views import View

from kaizen.core import access, audit
from kaizen.core.services import ConflictError
from kaizen.core.ui.display import audit_value, display, field_label
from kaizen.core.ui.registry import ModelUI, ui_for

MAX_PAGE = 100_000


class UIView(LoginRequiredMixin, View):
    """Base of the generic pages; ``ui`` is set by :meth:`ModelUI.urls`."""

    ui: type[ModelUI] = ModelUI
    raise_exception = False

    def context(self, **extra: Any) -> dict[str, Any]:
        ui = self.ui
        meta = ui.model._meta
        user = self.request.user
        return {
            "ui": ui,
            "verbose_name": capfirst(meta.verbose_name),
            "verbose_name_plural": capfirst(meta.verbose_name_plural),
            "list_url": reverse(ui.url_name("list")),
            "create_url": reverse(ui.url_name("create")),
            "can_add": access.has_any_role(user, access.policy_of(ui.model).roles_for("add")),
            **extra,
        }

    def detail(self, obj: Any) -> str:
        return reverse(self.ui.url_name("detail"), args=[obj.pk])

    def get_object(self, action: str = "view") -> Any:
        """Return the record, 404 when invisible, 403 when visible but ``action`` is not allowed."""
        pk = self.kwargs["pk"]
        obj = self.ui.queryset(self.request.user, "view").filter(pk=pk).first()
        if obj is None:
            raise Http404(_("No such record, or you may not see it."))
        if action != "view" and not access.can(self.request.user, action, self.ui.model, obj=obj):
            raise PermissionDenied(_("You do not have permission to do this."))
        return obj


class RecordListView(UIView):
    """Filterable, sortable, paginated list of the records the user may see."""

    def get(self, request: HttpRequest) -> HttpResponse:
        ui = self.ui
        qs = ui.queryset(request.user)
        params: QueryDict = request.GET
        if not params and ui.default_filters:
            params = QueryDict(mutable=True)
            params.update(ui.default_filters)
        filterset = (
            ui.filterset_class(params or None, queryset=qs, request=request) if ui.filterset_class else None
        )
        if filterset is not None:
            for name, field in filterset.form.fields.items():
                queryset = getattr(field, "queryset", None)
                if queryset is not None and hasattr(queryset.model, "access_policy"):
                    field.queryset = access.restrict(queryset, request.user, "view")
                field.widget.attrs.setdefault("id", f"filter-{name}")
            qs = filterset.qs if filterset.is_bound and filterset.is_valid() else qs
        sort = request.GET.get("sort", "")
        if sort.lstrip("-") in ui.sortable:
            qs = qs.order_by(sort, "pk")
        paginator = Paginator(qs, ui.paginate_by)
        page = paginator.get_page(min(_int(request.GET.get("page"), 1), MAX_PAGE))
        params = request.GET.copy()
        params.pop("page", None)
        sort_params = request.GET.copy()
        sort_params.pop("sort", None)
        sort_params.pop("page", None)
        columns = [
            {
                "name": c,
                "label": field_label(ui.model, c),
                "sort": c if c in ui.sortable else "",
                "sorted": "asc" if sort == c else "desc" if sort == f"-{c}" else "",
            }
            for c in ui.columns
        ]
        rows = [
            {"obj": obj, "cells": [display(obj, c, with_link=(i == 0)) for i, c in enumerate(ui.columns)]}
            for obj in page.object_list
        ]
        return render(
            request,
            "core/record_list.html",
            self.context(
                filterset=filterset,
                filter_errors=filterset.errors if filterset is not None and filterset.is_bound else {},
                columns=columns,
                rows=rows,
                page=page,
                query=params.urlencode(),
                list_actions=ui.list_actions(request),
                sort_query=sort_params.urlencode(),
                sort=sort,
            ),
        )


def _int(value: str | None, default: int) -> int:
    try:
        return max(1, int(value or default))
    except (TypeError, ValueError):
        return default


def history_rows(obj: Any) -> list[dict[str, Any]]:
    """Return the audit rows of ``obj`` with readable field names and values."""
    model = type(obj)
    rows = []
    for entry in audit.history(obj)[:100]:
        changes = [
            {
                "field": field_label(model, name),
                "old": audit_value(model, name, pair[0] if isinstance(pair, list) and pair else None),
                "new": audit_value(
                    model, name, pair[1] if isinstance(pair, list) and len(pair) > 1 else None
                ),
            }
            for name, pair in sorted((entry.changes or {}).items())
        ]
        rows.append({"entry": entry, "changes": changes})
    return rows


class RecordDetailView(UIView):
    """One record: its fields, related lists and its history from the audit trail."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = self.get_object()
        ui = self.ui
        fields = [{"label": field_label(ui.model, n), "value": display(obj, n)} for n in ui.detail_fields]
        panels = []
        for panel in ui.related_panels:
            rows = list(panel.rows(obj, request.user)[:50])
            model = panel.related_model
            add_url = ""
            related_ui = ui_for(model)
            if (
                panel.create_param
                and related_ui is not None
                and access.has_any_role(request.user, access.policy_of(model).roles_for("add"))
            ):
                add_url = (
                    reverse(related_ui.url_name("create")) + "?" + urlencode({panel.create_param: obj.pk})
                )
            panels.append(
                {
                    "title": panel.title,
                    "add_url": add_url,
                    "headers": [field_label(model, c) if model else c for c in panel.columns],
                    "rows": [
                        [display(r, c, with_link=(i == 0)) for i, c in enumerate(panel.columns)] for r in rows
                    ],
                }
            )
        user = request.user
        return render(
            request,
            ui.detail_template,
            self.context(
                **ui.extra_context(obj, request.user),
                obj=obj,
                fields=fields,
                panels=panels,
                history=history_rows(obj),
                can_change=access.can(user, "change", ui.model, obj=obj),
                can_delete=access.can(user, "delete", ui.model, obj=obj),
                edit_url=reverse(ui.url_name("edit"), args=[obj.pk]),
                delete_url=reverse(ui.url_name("delete"), args=[obj.pk]),
                extra_actions=self.extra_actions(obj),
            ),
        )

    def extra_actions(self, obj: Any) -> list[dict[str, str]]:
        hook = getattr(self.ui, "extra_actions", None)
        return list(hook(obj, self.request.user)) if callable(hook) else []

    def show(self, status: int) -> HttpResponse:
        """Render the page again with ``status`` (a refused write from one of its forms).

        Calls this class's ``get``, not a subclass's: showing the page again is not a new visit.
        """
        response = RecordDetailView.get(self, self.request, self.kwargs["pk"])
        response.status_code = status
        return response


def refused_page(ui: type[ModelUI], request: HttpRequest, pk: int, status: int, message: str) -> HttpResponse:
    """Show the detail page of ``ui``'s record ``pk`` again with ``message`` as an error and ``status``."""
    messages.error(request, message)
    view = (ui.detail_view or RecordDetailView)(ui=ui)
    view.setup(request, pk=pk)
    return view.show(status)


def apply_service_errors(form: Any, exc: Exception) -> None:
    """Show an exception raised by a service as form errors."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            target = name if name in form.fields else None
            for error in errors:
                form.add_error(target, error)
    elif isinstance(exc, ValidationError):
        for message in exc.messages:
            form.add_error(None, message)
    elif isinstance(exc, ConflictError):
        form.add_error(None, str(exc))
    elif isinstance(exc, PermissionDenied):
        target = "organisation" if "organisation" in form.fields else None
        form.add_error(target, _("You may not save this record in this organisation."))
    elif isinstance(exc, IntegrityError):
        form.add_error(None, _("This conflicts with an existing record."))
    else:  # pragma: no cover - guarded by the callers' except clauses
        raise exc


SERVICE_ERRORS = (ValidationError, ConflictError, PermissionDenied, IntegrityError)
NOT_PREFILLED = frozenset({"version", "csrfmiddlewaretoken"})


def prefill(request: HttpRequest) -> dict[str, Any]:
    """Return form initial values from the query string (links such as *Add* from a related list)."""
    return {k: v[:1000] for k, v in request.GET.items() if k not in NOT_PREFILLED}


class RecordCreateView(UIView):
    """Create a record through the domain service."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated and not access.has_any_role(
            request.user, access.policy_of(self.ui.model).roles_for("add")
        ):
            raise PermissionDenied(_("You do not have permission to do this."))
        return super().dispatch(request, *args, **kwargs)

    def form(self, data: Any = None) -> Any:
        return self.ui.form_class(data, user=self.request.user, initial=prefill(self.request))

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.show(self.form())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self.form(request.POST)
        if form.is_valid():
            try:
                obj = self.ui.create(actor=request.user, form=form)
            except SERVICE_ERRORS as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("%(name)s was created.") % {"name": obj})
                return HttpResponseRedirect(reverse(self.ui.url_name("detail"), args=[obj.pk]))
        return self.show(form, status=400)

    def show(self, form: Any, status: int = 200) -> HttpResponse:
        title = _("New %(name)s") % {"name": self.ui.model._meta.verbose_name}
        return render(
            self.request,
            "core/record_form.html",
            self.context(form=form, title=title, cancel_url=reverse(self.ui.url_name("list"))),
            status=status,
        )


class RecordUpdateView(UIView):
    """Edit a record; a stale version is reported on the form and nothing is overwritten."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = self.get_object("change")
        return self.show(obj, self.ui.form_class(instance=obj, user=request.user, initial=prefill(request)))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = self.get_object("change")
        form = self.ui.form_class(request.POST, instance=obj, user=request.user)
        if form.is_valid():
            try:
                saved = self.ui.update(
                    obj, actor=request.user, form=form, version=form.cleaned_data["version"]
                )
            except SERVICE_ERRORS as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("%(name)s was saved.") % {"name": saved})
                return HttpResponseRedirect(reverse(self.ui.url_name("detail"), args=[saved.pk]))
        fresh = self.ui.model._default_manager.get(pk=obj.pk)
        return self.show(fresh, form, status=400)

    def show(self, obj: Any, form: Any, status: int = 200) -> HttpResponse:
        title = _("Edit %(name)s") % {"name": obj}
        detail = reverse(self.ui.url_name("detail"), args=[obj.pk])
        return render(
            self.request,
            "core/record_form.html",
            self.context(form=form, obj=obj, title=title, cancel_url=detail),
            status=status,
        )


class RecordDeleteView(UIView):
    """Confirm, then delete through the domain service (refused while other records refer to it)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = self.get_object("delete")
        return render(
            request,
            "core/record_confirm_delete.html",
            self.context(
                obj=obj, needs_change=self.ui.delete_needs_change(obj), error="", cancel_url=self.detail(obj)
            ),
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = self.get_object("delete")
        raw = request.POST.get("version", "")
        if not raw.isdigit() or len(raw) > 12:
            error = _("The form is missing the record version. Reload the page.")
            return render(
                request,
                "core/record_confirm_delete.html",
                self.context(
                    obj=obj,
                    needs_change=self.ui.delete_needs_change(obj),
                    error=error,
                    cancel_url=self.detail(obj),
                ),
                status=400,
            )
        version = int(raw)
        try:
            self.ui.delete(
                obj, actor=request.user, version=version, change=request.POST.get("change", "")[:31]
            )
        except (ProtectedError, RestrictedError) as exc:
            refs = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
            names = ", ".join(sorted({str(o) for o in list(refs)[:5]}))
            error = _("%(name)s cannot be deleted while other records refer to it: %(refs)s.") % {
                "name": obj,
                "refs": names,
            }
            return render(
                request,
                "core/record_confirm_delete.html",
                self.context(
                    obj=obj,
                    needs_change=self.ui.delete_needs_change(obj),
                    error=error,
                    cancel_url=self.detail(obj),
                ),
                status=409,
            )
        except ValidationError as exc:
            return render(
                request,
                "core/record_confirm_delete.html",
                self.context(
                    obj=obj,
                    needs_change=self.ui.delete_needs_change(obj),
                    error=" ".join(exc.messages),
                    cancel_url=self.detail(obj),
                ),
                status=400,
            )
        except ConflictError as exc:
            return render(
                request,
                "core/record_confirm_delete.html",
                self.context(
                    obj=obj,
                    needs_change=self.ui.delete_needs_change(obj),
                    error=str(exc),
                    cancel_url=self.detail(obj),
                ),
                status=409,
            )
        messages.success(request, _("%(name)s was deleted.") % {"name": obj})
        return HttpResponseRedirect(reverse(self.ui.url_name("list")))
