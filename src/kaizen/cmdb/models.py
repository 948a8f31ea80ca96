"""Configuration items, their types (attribute schemas as data), software inventory, relationships."""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from kaizen.core import sequences
from kaizen.core.access import STAFF_ROLES, AccessPolicy, Role, ScopedManager
from kaizen.core.models import Record

from . import policies
from .choices import CIStatus, ControlLevel, Propagation

ADMINS = frozenset({Role.ADMIN})
EDITORS = frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT})
DELETERS = frozenset({Role.ADMIN, Role.MANAGER})
REFERENCE_POLICY = AccessPolicy(
    org_field=None,
    actions={"view": STAFF_ROLES, "add": ADMINS, "change": ADMINS, "delete": ADMINS},
    shared=True,
)


GRAPH_SEQUENCE = "cmdb.graph"


class GraphChange(models.Model):
    """One transaction that changed the dependency graph (relationships, service dependencies, types).

    Every write of an edge row stamps it with ``graph_seq``, the number of its transaction's change,
    so an in-process copy of the graph (``portfolio.impact_index``) can catch up by reading only
    the rows changed since the change it last saw. Numbers come from a locked counter held until
    commit, so they are committed in order. The random ``token`` tells a copy that a change it saw
    inside a transaction was rolled back (the number then belongs to another change, or to none).
    ``full`` marks changes that need a complete reload (a propagation rule or a deleted row).
    """

    seq = models.BigIntegerField(primary_key=True)
    token = models.CharField(max_length=32)
    full = models.BooleanField(default=False)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-seq"]

    def __str__(self) -> str:
        return f"graph change {self.seq}"

    @classmethod
    def record(cls, *, full: bool = False) -> int:
        """Record a change of the graph in the current transaction and return its number.

        Must run inside the transaction that writes the edge rows: the counter stays locked until
        that transaction ends, which orders the numbers by commit.
        """
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("graph changes must be recorded inside a transaction")
        seq = sequences.next_values(GRAPH_SEQUENCE)[0]
        cls.objects.create(seq=seq, token=secrets.token_hex(16), full=full)
        return seq


class GraphEdge(models.Model):
    """Abstract base of rows that are edges of the dependency graph: they stamp ``graph_seq``."""

    graph_seq = models.BigIntegerField(default=0, editable=False, db_index=True)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        with transaction.atomic():
            self.graph_seq = GraphChange.record()
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "graph_seq"}
            super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        with transaction.atomic():
            GraphChange.record(full=True)
            return super().delete(*args, **kwargs)


class Bilingual(Record):
    """Reference data named in Japanese with an optional English name."""

    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        if (translation.get_language() or "ja").startswith("en") and self.name_en:
            return self.name_en
        return self.name


class CIType(Bilingual):
    """A kind of configuration item with its attribute schema (validated on every CI write)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    attribute_schema = models.JSONField(_("attribute schema"), default=list, blank=True)
    is_builtin = models.BooleanField(_("built in"), default=False, editable=False)

    access_policy: ClassVar[AccessPolicy] = REFERENCE_POLICY

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]
        verbose_name = _("CI type")
        verbose_name_plural = _("CI types")

    def clean(self) -> None:
        problems = policies.validate_schema(self.attribute_schema)
        if problems:
            raise ValidationError({"attribute_schema": problems})


class RelationshipType(Bilingual):
    """A typed, directional relationship ("runs on", "depends on"), read from source to target."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    reverse_name = models.CharField(
        _("reverse name"), max_length=100, help_text=_("Read from target to source.")
    )
    reverse_name_en = models.CharField(_("reverse name (English)"), max_length=100, blank=True)
    propagation = models.CharField(
        _("impact propagation"),
        max_length=20,
        choices=Propagation.choices,
        default=Propagation.SOURCE_DEPENDS,
    )
    is_builtin = models.BooleanField(_("built in"), default=False, editable=False)

    access_policy: ClassVar[AccessPolicy] = REFERENCE_POLICY

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]
        verbose_name = _("relationship type")
        verbose_name_plural = _("relationship types")

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Propagation decides the edges of the graph: in-process copies reload completely.
        with transaction.atomic():
            GraphChange.record(full=True)
            super().save(*args, **kwargs)

    def reverse_label(self) -> str:
        """Return the name read from target to source, in the active language."""
        if (translation.get_language() or "ja").startswith("en") and self.reverse_name_en:
            return self.reverse_name_en
        return self.reverse_name


class RelationshipRule(Record):
    """Allows a relationship type between two CI types (empty type = any type).

    A relationship type without rules may join any two types; once it has rules, every
    relationship of that type must match one of them.
    """

    relationship_type = models.ForeignKey(
        RelationshipType, on_delete=models.CASCADE, related_name="rules", verbose_name=_("relationship type")
    )
    source_type = models.ForeignKey(
        CIType,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("source type"),
    )
    target_type = models.ForeignKey(
        CIType,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("target type"),
    )

    access_policy: ClassVar[AccessPolicy] = REFERENCE_POLICY

    class Meta:
        verbose_name = _("relationship rule")
        verbose_name_plural = _("relationship rules")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["relationship_type", "source_type", "target_type"],
                name="cmdb_rule_unique",
                nulls_distinct=False,
                violation_error_message=_("This rule exists already."),
            )
        ]

    def __str__(self) -> str:
        any_type = str(_("any type"))
        return f"{self.source_type or any_type} → {self.relationship_type} → {self.target_type or any_type}"


class ConfigurationItem(Record):
    """A configuration item: something whose configuration Kaizen must know to deliver a service."""

    number = models.CharField(_("CI number"), max_length=20, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    ci_type = models.ForeignKey(CIType, on_delete=models.PROTECT, related_name="cis", verbose_name=_("type"))
    status = models.CharField(_("status"), max_length=20, choices=CIStatus.choices, default=CIStatus.IN_USE)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="cis", verbose_name=_("organisation")
    )
    owner_team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cis",
        verbose_name=_("owner team"),
    )
    location = models.CharField(_("location"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True, max_length=10_000)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    control_level = models.CharField(
        _("control level"), max_length=20, choices=ControlLevel.choices, default=ControlLevel.REFERENCE
    )
    external_id = models.CharField(
        _("external id"),
        max_length=200,
        blank=True,
        help_text=_("Key in the system this CI is imported from; imports update the CI with the same key."),
    )

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="organisation",
        actions={"view": STAFF_ROLES, "add": EDITORS, "change": EDITORS, "delete": DELETERS},
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["number"]
        verbose_name = _("configuration item")
        verbose_name_plural = _("configuration items")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["organisation", "external_id"],
                condition=~Q(external_id=""),
                name="cmdb_ci_unique_external_id",
                violation_error_message=_("Another CI of this organisation has this external id."),
            )
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["organisation", "ci_type", "status"], name="cmdb_ci_org_type_status"),
            models.Index(fields=["name"], name="cmdb_ci_name"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    def clean(self) -> None:
        if self.ci_type_id is None or getattr(self, "attributes_checked", False):
            return
        cleaned, errors = policies.clean_attributes(self.ci_type.attribute_schema, self.attributes)
        if errors:
            raise ValidationError(
                {"attributes": [f"{k}: {v}" if k != "__all__" else v for k, v in errors.items()]}
            )
        self.attributes = cleaned


class SoftwareInstallation(Record):
    """A software package found on a CI, as a package URL (purl), for vulnerability matching."""

    ci = models.ForeignKey(
        ConfigurationItem,
        on_delete=models.CASCADE,
        related_name="software",
        verbose_name=_("configuration item"),
    )
    purl = models.CharField(
        _("package URL"), max_length=500, help_text=_("e.g. pkg:deb/debian/openssl@3.0.11-1~deb12u2")
    )
    name = models.CharField(_("name"), max_length=200, editable=False)
    package_version = models.CharField(_("package version"), max_length=100, blank=True)

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="ci__organisation",
        actions={"view": STAFF_ROLES, "add": EDITORS, "change": EDITORS, "delete": EDITORS},
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["name", "package_version"]
        verbose_name = _("software installation")
        verbose_name_plural = _("software inventory")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["ci", "purl"], name="cmdb_software_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.package_version}".strip()

    def organisation_id_for_audit(self) -> int | None:
        return self.ci.organisation_id if self.ci_id else None

    def add_scope_id(self) -> int | None:
        return self.ci.organisation_id if self.ci_id else None

    def clean(self) -> None:
        from packageurl import PackageURL

        try:
            parsed = PackageURL.from_string(self.purl.strip())
        except ValueError as exc:
            raise ValidationError(
                {"purl": _("Not a valid package URL: %(reason)s") % {"reason": exc}}
            ) from exc
        self.purl = parsed.to_string()
        self.name = f"{parsed.namespace}/{parsed.name}" if parsed.namespace else parsed.name
        if parsed.version and not self.package_version:
            self.package_version = parsed.version


class ActiveRelationships(models.Manager["Relationship"]):
    """Relationships that exist now (not ended)."""

    def get_queryset(self) -> models.QuerySet[Relationship]:
        return super().get_queryset().filter(ended_at__isnull=True)


class Relationship(GraphEdge, Record):
    """A typed, directional link between two CIs, kept with its validity period for "as of" views.

    Removing a relationship ends it (``ended_at``) instead of deleting the row, so impact analysis
    can be replayed for a past date.
    """

    source = models.ForeignKey(
        ConfigurationItem, on_delete=models.PROTECT, related_name="outgoing", verbose_name=_("source")
    )
    relationship_type = models.ForeignKey(
        RelationshipType, on_delete=models.PROTECT, related_name="relationships", verbose_name=_("type")
    )
    target = models.ForeignKey(
        ConfigurationItem, on_delete=models.PROTECT, related_name="incoming", verbose_name=_("target")
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
        editable=False,
    )
    description = models.CharField(_("note"), max_length=500, blank=True)
    started_at = models.DateTimeField(_("valid from"), editable=False)
    ended_at = models.DateTimeField(_("valid until"), null=True, blank=True, editable=False)

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="organisation",
        actions={"view": STAFF_ROLES, "add": EDITORS, "change": EDITORS, "delete": EDITORS},
    )
    audit_exclude: ClassVar[frozenset[str]] = Record.audit_exclude | {"graph_seq"}

    class Meta:
        ordering: ClassVar[list[str]] = ["source__number", "relationship_type__name", "target__number"]
        verbose_name = _("relationship")
        verbose_name_plural = _("relationships")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["source", "relationship_type", "target"],
                condition=Q(ended_at__isnull=True),
                name="cmdb_relationship_unique_active",
                violation_error_message=_("These CIs are already related this way."),
            ),
            models.CheckConstraint(
                condition=~Q(source=models.F("target")),
                name="cmdb_relationship_not_self",
                violation_error_message=_("A CI cannot be related to itself."),
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["target", "ended_at"], name="cmdb_rel_target"),
            models.Index(fields=["source", "ended_at"], name="cmdb_rel_source"),
        ]

    def __str__(self) -> str:
        return f"{self.source.number} {self.relationship_type} {self.target.number}"

    def clean(self) -> None:
        if self.source_id is not None and self.source_id == self.target_id:
            raise ValidationError({"target": _("A CI cannot be related to itself.")})
        if self.source_id is None or self.target_id is None or self.relationship_type_id is None:
            return
        rules = list(RelationshipRule.objects.filter(relationship_type_id=self.relationship_type_id))
        if rules and not any(
            rule.source_type_id in (None, self.source.ci_type_id)
            and rule.target_type_id in (None, self.target.ci_type_id)
            for rule in rules
        ):
            raise ValidationError(
                {
                    "relationship_type": _("A %(source)s cannot be related to a %(target)s as %(type)s.")
                    % {
                        "source": self.source.ci_type,
                        "target": self.target.ci_type,
                        "type": self.relationship_type,
                    }
                }
            )


class ImportJob(models.Model):
    """A CMDB import submitted through the API, run as a background job with progress."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    file_name = models.CharField(_("file name"), max_length=255)
    file = models.FileField(_("file"), upload_to="imports/")
    options = models.JSONField(_("options"), default=dict)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.QUEUED)
    processed = models.PositiveIntegerField(_("processed rows"), default=0)
    total = models.PositiveIntegerField(_("rows"), default=0)
    report = models.JSONField(_("report"), default=dict, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = ScopedManager()
    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field=None,
        actions={"view": ADMINS},
        own=lambda user: Q(created_by_id=user.pk),
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]
        verbose_name = _("CMDB import")
        verbose_name_plural = _("CMDB imports")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_state_display()})"
