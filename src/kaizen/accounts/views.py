"""Accounts pages: organisations, people, teams, role memberships, preferences, logins."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kaizen.core import access
from kaizen.core.ui.registry import ModelUI, RelatedPanel
from kaizen.core.ui.views import apply_service_errors

from . import services
from .filters import MembershipFilter, OrganisationFilter, PersonFilter, TeamFilter
from .forms import LoginForm, MembershipForm, OrganisationForm, PersonForm, PreferencesForm, TeamForm
from .models import Membership, Organisation, Person, Team


class OrganisationUI(ModelUI):
    """Pages of organisations."""

    model = Organisation
    slug = "organisations"
    namespace = "accounts"
    form_class = OrganisationForm
    filterset_class = OrganisationFilter
    columns = ("name", "code", "kind", "parent", "is_active")
    sortable = ("name", "code", "kind")
    detail_fields = ("name", "code", "kind", "parent", "description", "is_active")
    select_related = ("parent",)
    related_panels = (
        RelatedPanel(
            title=gettext_lazy("Nested organisations"),
            rows=lambda obj, user: Organisation.objects.visible_to(user).filter(parent=obj),
            columns=("name", "code", "kind"),
            related_model=Organisation,
            create_param="parent",
        ),
        RelatedPanel(
            title=gettext_lazy("People"),
            rows=lambda obj, user: Person.objects.visible_to(user).filter(organisation=obj),
            columns=("name", "email", "job_title"),
            related_model=Person,
            create_param="organisation",
        ),
        RelatedPanel(
            title=gettext_lazy("Teams"),
            rows=lambda obj, user: Team.objects.visible_to(user).filter(organisation=obj),
            columns=("name", "email"),
            related_model=Team,
            create_param="organisation",
        ),
    )
    create_service = staticmethod(services.create_organisation)
    update_service = staticmethod(services.update_organisation)
    delete_service = staticmethod(services.delete_organisation)


class PersonUI(ModelUI):
    """Pages of people."""

    model = Person
    slug = "people"
    namespace = "accounts"
    form_class = PersonForm
    filterset_class = PersonFilter
    columns = ("name", "organisation", "email", "job_title", "user", "is_active")
    sortable = ("name", "email", "job_title")
    detail_fields = (
        "name",
        "name_kana",
        "organisation",
        "email",
        "phone",
        "job_title",
        "user",
        "teams",
        "is_active",
    )
    select_related = ("organisation", "user")
    create_service = staticmethod(services.create_person)
    update_service = staticmethod(services.update_person)
    delete_service = staticmethod(services.delete_person)

    @staticmethod
    def extra_actions(obj: Person, user: Any) -> list[dict[str, str]]:
        if obj.user_id is None and access.can(user, "change", Person, obj=obj):
            return [{"label": _("Give a login"), "url": reverse("accounts:people-login", args=[obj.pk])}]
        return []


class TeamUI(ModelUI):
    """Pages of teams."""

    model = Team
    slug = "teams"
    namespace = "accounts"
    form_class = TeamForm
    filterset_class = TeamFilter
    columns = ("name", "organisation", "lead", "email")
    sortable = ("name", "email")
    detail_fields = ("name", "organisation", "lead", "email", "members", "description")
    select_related = ("organisation", "lead")
    prefetch_related = ("members",)
    create_service = staticmethod(services.create_team)
    update_service = staticmethod(services.update_team)
    delete_service = staticmethod(services.delete_team)


class MembershipUI(ModelUI):
    """Pages of role memberships."""

    model = Membership
    slug = "memberships"
    namespace = "accounts"
    form_class = MembershipForm
    filterset_class = MembershipFilter
    columns: ClassVar[tuple[str, ...]] = ("__str__", "user", "role", "organisation")
    sortable = ("role",)
    detail_fields = ("user", "role", "organisation")
    select_related = ("user", "organisation")
    create_service = staticmethod(services.grant_role)
    update_service = staticmethod(services.update_membership)
    delete_service = staticmethod(services.revoke_role)


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """Let a user choose their own UI language and time zone."""
    user = request.user
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            try:
                services.update_preferences(
                    actor=user,  # type: ignore[arg-type]
                    language=form.cleaned_data["language"],
                    time_zone=form.cleaned_data["time_zone"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Your preferences were saved."))
                response = HttpResponseRedirect(reverse("accounts:preferences"))
                if form.cleaned_data["language"]:
                    response.set_cookie("django_language", form.cleaned_data["language"], samesite="Lax")
                return response
        status = 400
    else:
        form = PreferencesForm(initial={"language": user.language, "time_zone": user.time_zone})  # type: ignore[union-attr]
        status = 200
    return render(request, "accounts/preferences.html", {"form": form}, status=status)


@login_required
def give_login(request: HttpRequest, pk: int) -> HttpResponse:
    """Give a person a login with an initial password."""
    person = Person.objects.visible_to(request.user).filter(pk=pk).first()
    if person is None:
        raise Http404(_("No such record, or you may not see it."))
    if not access.can(request.user, "change", Person, obj=person):
        raise PermissionDenied(_("You do not have permission to do this."))
    form = LoginForm(request.POST or None, initial={"version": person.version})
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["version"] != person.version:
            form.add_error(None, _("The record was changed by someone else. Reload and try again."))
        else:
            try:
                services.create_login(
                    person.pk,
                    actor=request.user,
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password"] or None,
                )
            except (ValidationError, PermissionDenied) as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("%(name)s can now log in.") % {"name": person})
                return HttpResponseRedirect(reverse("accounts:people-detail", args=[person.pk]))
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/give_login.html", {"form": form, "person": person}, status=status)
