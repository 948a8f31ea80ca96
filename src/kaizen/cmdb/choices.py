"""Choices of the CMDB domain, with translated labels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CIStatus(models.TextChoices):
    """Where a configuration item is in its life."""

    PLANNED = "planned", _("Planned")
    IN_USE = "in_use", _("In use")
    MAINTENANCE = "maintenance", _("Maintenance")
    RETIRED = "retired", _("Retired")


class ControlLevel(models.TextChoices):
    """How tightly a CI is controlled (seed 002: three levels of configuration control).

    Strict CIs change only through an approved change; reference CIs must be current when
    operations look them up; ad hoc CIs are looked up when needed.
    """

    STRICT = "strict", _("Strict (change control)")
    REFERENCE = "reference", _("Reference (kept current)")
    AD_HOC = "ad_hoc", _("Ad hoc (look up when needed)")


class AttributeType(models.TextChoices):
    """Types of CI attributes, validated on every write."""

    STRING = "string", _("Text (one line)")
    TEXT = "text", _("Text (several lines)")
    INTEGER = "integer", _("Integer")
    DECIMAL = "decimal", _("Decimal number")
    BOOLEAN = "boolean", _("Yes/no")
    DATE = "date", _("Date")
    IP = "ip", _("IP address")
    CIDR = "cidr", _("Network (CIDR)")
    HOSTNAME = "hostname", _("Host name")
    PORT = "port", _("Port or port range")
    URL = "url", _("URL")
    EMAIL = "email", _("Email address")
    ENUM = "enum", _("One of a list")


class Propagation(models.TextChoices):
    """How a failure travels along a relationship type (used by impact analysis)."""

    SOURCE_DEPENDS = "source_depends", _("The source depends on the target")
    TARGET_DEPENDS = "target_depends", _("The target depends on the source")
    BOTH = "both", _("Both sides depend on each other")
    NONE = "none", _("No dependency")
