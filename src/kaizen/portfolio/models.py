"""Services of the portfolio, service packages and service dependencies (on services and CIs)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kaizen.cmdb.models import GraphEdge
from kaizen.core.access import STAFF_ROLES, AccessPolicy, Role, org_scope
from kaizen.core.models import Record

from .choices import Lifecycle, PackageRole, ProviderKind

MANAGERS = frozenset({Role.ADMIN, Role.MANAGER})


def _catalogue_for_requesters(user: Any) -> Q:
    """Requesters see the live services their organisations are customers of (the catalogue)."""
    scope = org_scope(user, [Role.REQUESTER])
    if not isinstance(scope, frozenset):
        return Q(lifecycle=Lifecycle.LIVE)
    if not scope:
        return Q(pk__in=[])
    customers = Service.customers.through.objects.filter(organisation_id__in=sorted(scope)).values(
        "service_id"
    )
    return Q(lifecycle=Lifecycle.LIVE, pk__in=customers)


class Service(Record):
    """An IT service in the portfolio: what it is, who provides it, for whom, and where it stands."""

    code = models.SlugField(
        _("code"), max_length=50, unique=True, help_text=_("Short unique code, e.g. mail.")
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=10_000)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="services",
        verbose_name=_("service provider organisation"),
        help_text=_("The organisation that runs the service; its staff manage it."),
    )
    owner_team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="services",
        verbose_name=_("owner team"),
    )
    owner = models.ForeignKey(
        "accounts.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_services",
        verbose_name=_("service owner"),
    )
    provider_kind = models.CharField(
        _("provided by"), max_length=20, choices=ProviderKind.choices, default=ProviderKind.INTERNAL
    )
    supplier = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supplied_services",
        verbose_name=_("supplier"),
        help_text=_("The other party that provides the service."),
    )
    lifecycle = models.CharField(
        _("lifecycle"), max_length=20, choices=Lifecycle.choices, default=Lifecycle.PIPELINE
    )
    planned_live_on = models.DateField(_("planned go-live"), null=True, blank=True)
    live_since = models.DateField(_("live since"), null=True, blank=True)
    retired_on = models.DateField(_("retired on"), null=True, blank=True)
    service_hours = models.CharField(
        _("service hours"), max_length=200, blank=True, help_text=_("e.g. 平日 9:00〜18:00, or 24x7.")
    )
    customers = models.ManyToManyField(
        "accounts.Organisation", blank=True, related_name="services_used", verbose_name=_("customers")
    )

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="organisation",
        actions={"view": STAFF_ROLES, "add": MANAGERS, "change": MANAGERS, "delete": frozenset({Role.ADMIN})},
        own=_catalogue_for_requesters,
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.provider_kind == ProviderKind.EXTERNAL and self.supplier_id is None:
            errors["supplier"] = str(_("Name the supplier of an externally provided service."))
        if self.provider_kind == ProviderKind.INTERNAL and self.supplier_id is not None:
            errors["supplier"] = str(_("An internal service has no supplier."))
        if self.lifecycle == Lifecycle.RETIRED and self.retired_on is None:
            errors["retired_on"] = str(_("Give the date the service was retired."))
        if self.live_since and self.retired_on and self.retired_on < self.live_since:
            errors["retired_on"] = str(_("A service cannot be retired before it went live."))
        if errors:
            raise ValidationError(errors)


class ServicePackage(Record):
    """A service package: core, enabling and enhancing services offered together (ITIL)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=10_000)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="service_packages",
        verbose_name=_("service provider organisation"),
    )

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="organisation",
        actions={"view": STAFF_ROLES, "add": MANAGERS, "change": MANAGERS, "delete": MANAGERS},
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]
        verbose_name = _("service package")
        verbose_name_plural = _("service packages")

    def __str__(self) -> str:
        return self.name


class PackageMember(models.Model):
    """A service in a package, with its role (written only by the package services, audited there)."""

    package = models.ForeignKey(ServicePackage, on_delete=models.CASCADE, related_name="members")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="packages")
    role = models.CharField(_("role"), max_length=20, choices=PackageRole.choices)

    class Meta:
        ordering: ClassVar[list[str]] = ["role", "service__name"]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["package", "service"], name="portfolio_package_member_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.package}: {self.service} ({self.get_role_display()})"


class ServiceDependency(GraphEdge, Record):
    """A service needs another service or a CI; ended (not deleted) so impact can be replayed."""

    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="dependencies", verbose_name=_("service")
    )
    depends_on_service = models.ForeignKey(
        Service,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dependents",
        verbose_name=_("depends on service"),
    )
    depends_on_ci = models.ForeignKey(
        "cmdb.ConfigurationItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dependent_services",
        verbose_name=_("depends on CI"),
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("organisation"),
    )
    description = models.CharField(_("note"), max_length=500, blank=True)
    started_at = models.DateTimeField(_("valid from"), editable=False)
    ended_at = models.DateTimeField(_("valid until"), null=True, blank=True, editable=False)

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="organisation",
        actions={"view": STAFF_ROLES, "add": MANAGERS, "change": MANAGERS, "delete": MANAGERS},
    )
    audit_exclude: ClassVar[frozenset[str]] = Record.audit_exclude | {"graph_seq"}

    class Meta:
        verbose_name = _("service dependency")
        verbose_name_plural = _("service dependencies")
        constraints: ClassVar[list[Any]] = [
            models.CheckConstraint(
                condition=(Q(depends_on_service__isnull=False) & Q(depends_on_ci__isnull=True))
                | (Q(depends_on_service__isnull=True) & Q(depends_on_ci__isnull=False)),
                name="portfolio_dependency_one_target",
                violation_error_message=_("Choose either a service or a CI."),
            ),
            models.CheckConstraint(
                condition=~Q(service=models.F("depends_on_service")),
                name="portfolio_dependency_not_self",
                violation_error_message=_("A service cannot depend on itself."),
            ),
            models.UniqueConstraint(
                fields=["service", "depends_on_service"],
                condition=Q(ended_at__isnull=True, depends_on_service__isnull=False),
                name="portfolio_dependency_unique_service",
                violation_error_message=_("This dependency exists already."),
            ),
            models.UniqueConstraint(
                fields=["service", "depends_on_ci"],
                condition=Q(ended_at__isnull=True, depends_on_ci__isnull=False),
                name="portfolio_dependency_unique_ci",
                violation_error_message=_("This dependency exists already."),
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["depends_on_ci", "ended_at"], name="portfolio_dep_ci"),
            models.Index(fields=["depends_on_service", "ended_at"], name="portfolio_dep_service"),
            models.Index(fields=["service", "ended_at"], name="portfolio_dep_from"),
        ]

    def __str__(self) -> str:
        target = self.depends_on_service or self.depends_on_ci
        return f"{self.service} → {target}"

    def clean(self) -> None:
        if (self.depends_on_service_id is None) == (self.depends_on_ci_id is None):
            raise ValidationError(_("Choose either a service or a CI."))
        if self.depends_on_service_id is not None and self.depends_on_service_id == self.service_id:
            raise ValidationError({"depends_on_service": _("A service cannot depend on itself.")})
