"""Every write of the service portfolio: keyword-only, one transaction, authorised, audited."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kaizen.accounts.models import Organisation
from kaizen.cmdb.models import ConfigurationItem
from kaizen.core import access, audit
from kaizen.core.services import create_record, delete_record, update_record

from .choices import Lifecycle, PackageRole
from .models import PackageMember, Service, ServiceDependency, ServicePackage


def _lifecycle_dates(changes: dict[str, Any], current: Service | None) -> None:
    """Fill the go-live or retirement date with today when the lifecycle moves and none is given."""
    lifecycle = changes.get("lifecycle", current.lifecycle if current else None)
    today = timezone.localdate()
    if lifecycle == Lifecycle.LIVE and not changes.get("live_since") and not (current and current.live_since):
        changes["live_since"] = today
    if (
        lifecycle == Lifecycle.RETIRED
        and not changes.get("retired_on")
        and not (current and current.retired_on)
    ):
        changes["retired_on"] = today


def _set_customers(service: Service, customers: Iterable[Organisation]) -> dict[str, list[Any]]:
    before = sorted(service.customers.values_list("pk", flat=True))
    after = sorted({int(o.pk) for o in customers})
    if before == after:
        return {}
    service.customers.set(after)
    return {"customers": [before, after]}


def create_service(*, actor: Any, data: Mapping[str, Any], customers: Iterable[Organisation] = ()) -> Service:
    """Add a service to the portfolio (pipeline by default) with the organisations it serves."""
    with transaction.atomic():
        values = dict(data)
        _lifecycle_dates(values, None)
        service = create_record(Service, actor=actor, data=values)
        delta = _set_customers(service, customers)
        if delta:
            audit.record(service, action="customers", changes=delta)
    return service


def update_service(
    service_id: int,
    *,
    actor: Any,
    changes: Mapping[str, Any],
    version: int | None,
    customers: Iterable[Organisation] | None = None,
) -> Service:
    """Change a service (and, when given, its customers) if ``version`` is current."""
    with transaction.atomic():
        current = Service.objects.select_for_update().get(pk=service_id)
        values = dict(changes)
        _lifecycle_dates(values, current)
        service = update_record(Service, service_id, actor=actor, changes=values, expected_version=version)
        if customers is not None:
            delta = _set_customers(service, customers)
            if delta:
                if service.version == version:
                    Service.objects.filter(pk=service.pk).update(version=service.version + 1)
                    service.version += 1
                audit.record(service, action="customers", changes=delta)
    return service


def delete_service(service_id: int, *, actor: Any, version: int | None = None) -> None:
    """Delete a service nothing depends on (retire it otherwise)."""
    delete_record(Service, service_id, actor=actor, expected_version=version)


MEMBER_ROLES = (PackageRole.CORE, PackageRole.ENABLING, PackageRole.ENHANCING)


def _set_members(package: ServicePackage, members: Mapping[str, Iterable[Service]]) -> dict[str, list[Any]]:
    before = sorted(PackageMember.objects.filter(package=package).values_list("role", "service_id"))
    wanted: dict[int, str] = {}
    for role in MEMBER_ROLES:
        for service in members.get(role, ()):
            if int(service.pk) in wanted:
                raise ValidationError({role: _("%(service)s is listed in two roles.") % {"service": service}})
            wanted[int(service.pk)] = role
    after = sorted((role, pk) for pk, role in wanted.items())
    if before == after:
        return {}
    PackageMember.objects.filter(package=package).delete()
    PackageMember.objects.bulk_create(
        [PackageMember(package=package, service_id=pk, role=role) for pk, role in wanted.items()]
    )
    return {"members": [[f"{r}:{s}" for r, s in before], [f"{r}:{s}" for r, s in after]]}


def create_package(
    *, actor: Any, data: Mapping[str, Any], members: Mapping[str, Iterable[Service]] | None = None
) -> ServicePackage:
    """Create a service package with its core, enabling and enhancing services."""
    with transaction.atomic():
        package = create_record(ServicePackage, actor=actor, data=data)
        delta = _set_members(package, members or {})
        if delta:
            audit.record(package, action="members", changes=delta)
    return package


def update_package(
    package_id: int,
    *,
    actor: Any,
    changes: Mapping[str, Any],
    version: int | None,
    members: Mapping[str, Iterable[Service]] | None = None,
) -> ServicePackage:
    """Change a package (and, when given, its services) if ``version`` is current."""
    with transaction.atomic():
        package = update_record(
            ServicePackage, package_id, actor=actor, changes=changes, expected_version=version
        )
        if members is not None:
            delta = _set_members(package, members)
            if delta:
                if package.version == version:
                    ServicePackage.objects.filter(pk=package.pk).update(version=package.version + 1)
                    package.version += 1
                audit.record(package, action="members", changes=delta)
    return package


def delete_package(package_id: int, *, actor: Any, version: int | None = None) -> None:
    """Delete a service package (its services stay)."""
    delete_record(ServicePackage, package_id, actor=actor, expected_version=version)


def add_dependency(*, actor: Any, data: Mapping[str, Any]) -> ServiceDependency:
    """Record that a service needs another service or a CI; the actor must see both ends."""
    with transaction.atomic():
        service: Service = data["service"]
        target_ci: ConfigurationItem | None = data.get("depends_on_ci")
        target_service: Service | None = data.get("depends_on_service")
        if target_ci is not None and not access.can(actor, "view", ConfigurationItem, obj=target_ci):
            raise ValidationError({"depends_on_ci": _("No such CI, or you may not see it.")})
        if target_service is not None and not access.can(actor, "view", Service, obj=target_service):
            raise ValidationError({"depends_on_service": _("No such service, or you may not see it.")})
        return create_record(
            ServiceDependency,
            actor=actor,
            data={**data, "organisation_id": service.organisation_id, "started_at": timezone.now()},
        )


def update_dependency(
    dependency_id: int, *, actor: Any, changes: Mapping[str, Any], version: int | None
) -> ServiceDependency:
    """Change the note of a dependency (to depend on something else, end it and add a new one)."""
    current = (
        ServiceDependency.objects.filter(pk=dependency_id)
        .values("service", "depends_on_service", "depends_on_ci")
        .first()
    )
    if current is not None:
        for key in ("service", "depends_on_service", "depends_on_ci"):
            if key in changes and getattr(changes[key], "pk", changes[key]) != current[key]:
                raise ValidationError({key: _("End this dependency and add a new one instead.")})
    note = {k: v for k, v in changes.items() if k == "description"}
    return update_record(
        ServiceDependency, dependency_id, actor=actor, changes=note, expected_version=version
    )


def end_dependency(dependency_id: int, *, actor: Any, version: int | None = None) -> None:
    """End a dependency now; the row stays for impact analysis "as of" a past date."""
    with transaction.atomic():
        dependency = ServiceDependency.objects.select_for_update().get(pk=dependency_id)
        if dependency.ended_at is not None:
            raise ValidationError(_("This dependency has already ended."))
        if not access.can(actor, "delete", ServiceDependency, obj=dependency):
            raise PermissionDenied(_("You do not have permission to do this."))
        update_record(
            ServiceDependency,
            dependency_id,
            actor=actor,
            changes={"ended_at": timezone.now()},
            expected_version=version,
            check=False,
            action="end",
        )
