"""The one entry point that decides what a user may see or do.

Every domain model declares an :class:`AccessPolicy` (which roles may perform which action and how
the model reaches its organisation). Views, API and queries never filter organisations by hand:
they call ``Model.objects.visible_to(user, action)`` (or :func:`restrict`) and :func:`can`.

The user model supplies the role scope (:class:`ScopedUser`): for each role, the organisation ids
it covers (nested organisations included) or :data:`ALL` for a global membership.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar, runtime_checkable

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.db.models.query import QuerySet


class Role(models.TextChoices):
    """Platform roles, granted per organisation (or globally)."""

    REQUESTER = "requester", _("Requester")
    AGENT = "agent", _("Agent")
    MANAGER = "manager", _("Manager")
    CHANGE_MANAGER = "change_manager", _("Change manager")
    CAB_MEMBER = "cab_member", _("CAB member")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Administrator")


class _All:
    """Marker: a role granted for every organisation."""

    def __repr__(self) -> str:
        return "ALL"


ALL: Final = _All()
OrgScope = frozenset[int] | _All
"""Organisation ids a role covers, or ALL."""

STAFF_ROLES: Final = frozenset(Role) - {Role.REQUESTER}
READ_ROLES: Final = frozenset(Role)
"""Every role may read what is in its scope; the auditor reads everything it is given."""


@runtime_checkable
class ScopedUser(Protocol):
    """What the access layer needs from a user object."""

    is_authenticated: bool
    is_active: bool
    is_superuser: bool
    pk: Any

    def role_scope(self) -> Mapping[str, OrgScope]:
        """Return, for each role the user holds, the organisations it covers."""
        ...


@dataclass(frozen=True)
class AccessPolicy:
    """Who may do what with one model.

    Attributes:
        org_field: lookup from the model to its organisation id (``"organisation"``, or ``"pk"``
            for the organisation model itself). ``None`` means the model has no organisation and
            only :attr:`own` and global (ALL) roles apply.
        actions: action name -> roles allowed to perform it within their organisations.
        own: optional Q builder for rows a user reaches personally (their own person record,
            their own tickets), whatever their roles.
        own_actions: the actions :attr:`own` grants.
        shared: for models without an organisation (``org_field=None``): holding the role in any
            organisation is enough (reference data such as CI types that every team reads).
    """

    org_field: str | None
    actions: Mapping[str, frozenset[str]]
    own: Callable[[Any], Q] | None = None
    own_actions: frozenset[str] = field(default_factory=lambda: frozenset({"view"}))
    shared: bool = False

    def roles_for(self, action: str) -> frozenset[str]:
        return self.actions.get(action, frozenset())


M = TypeVar("M", bound=models.Model)


def policy_of(model: type[models.Model]) -> AccessPolicy:
    """Return the access policy a model declares (``access_policy`` class attribute)."""
    policy = getattr(model, "access_policy", None)
    if not isinstance(policy, AccessPolicy):
        raise TypeError(f"{model.__name__} declares no access_policy")
    return policy


def _is_user(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def org_scope(user: Any, roles: Iterable[str]) -> OrgScope:
    """Return the organisations in which ``user`` holds any of ``roles`` (or ALL)."""
    if not _is_user(user):
        return frozenset()
    if user.is_superuser:
        return ALL
    scope = user.role_scope()
    ids: set[int] = set()
    for role in roles:
        covered = scope.get(role)
        if covered is None:
            continue
        if isinstance(covered, _All):
            return ALL
        ids.update(covered)
    return frozenset(ids)


def condition(model: type[models.Model], user: Any, action: str) -> Q | None:
    """Return the Q a row must match for ``user`` to perform ``action``; None means every row."""
    policy = policy_of(model)
    if not _is_user(user):
        return Q(pk__in=[])
    scope = org_scope(user, policy.roles_for(action))
    if isinstance(scope, _All) or (policy.shared and policy.org_field is None and scope):
        return None
    q = Q(pk__in=[])
    if scope and policy.org_field is not None:
        q = Q(**{f"{policy.org_field}__in": sorted(scope)})
    if policy.own is not None and action in policy.own_actions:
        q |= policy.own(user)
    return q


def restrict(queryset: QuerySet[M], user: Any, action: str = "view") -> QuerySet[M]:
    """Return the rows of ``queryset`` on which ``user`` may perform ``action``."""
    q = condition(queryset.model, user, action)
    if q is None:
        return queryset
    return queryset.filter(q)


def can(
    user: Any,
    action: str,
    model: type[models.Model],
    *,
    obj: models.Model | None = None,
    organisation_id: int | None = None,
) -> bool:
    """Tell whether ``user`` may perform ``action`` on ``obj`` or, for ``add``, in an organisation.

    For an existing object the decision is the same query :func:`restrict` runs, so the UI, the
    API and the services can never disagree. For a new object pass the organisation it will
    belong to (``None`` asks for a global right).
    """
    if not _is_user(user):
        return False
    if obj is not None:
        return restrict(model._default_manager.filter(pk=obj.pk), user, action).exists()
    policy = policy_of(model)
    scope = org_scope(user, policy.roles_for(action))
    if isinstance(scope, _All) or (policy.shared and policy.org_field is None and scope):
        return True
    return organisation_id is not None and organisation_id in scope


def has_any_role(user: Any, roles: Iterable[str]) -> bool:
    """Tell whether ``user`` holds any of ``roles`` in any organisation."""
    scope = org_scope(user, roles)
    return isinstance(scope, _All) or bool(scope)


class ScopedQuerySet(models.QuerySet[M]):
    """QuerySet with :meth:`visible_to`, the only way views and queries filter by permission."""

    def visible_to(self, user: Any, action: str = "view") -> ScopedQuerySet[M]:
        """Return the rows ``user`` may perform ``action`` on."""
        return restrict(self, user, action)  # type: ignore[return-value]


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)
