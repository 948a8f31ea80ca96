"""Pure decisions of the CMDB: CI type attribute schemas and attribute validation (no ORM)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.translation import gettext as _

from kaizen.core.lib import text

from .choices import AttributeType

NAME = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$"
)
MAX_ATTRIBUTES = 100
MAX_STRING = 500
MAX_TEXT = 10_000
SCHEMA_KEYS = {"name", "label", "label_en", "type", "required", "choices", "help"}


def validate_schema(schema: Any) -> list[str]:
    """Return the problems of a CI type's attribute schema (empty when valid).

    A schema is a list of attribute definitions: ``name`` (lower-case identifier), ``label``,
    optional ``label_en``, ``type`` (:class:`AttributeType`), ``required`` (bool), ``choices``
    (list of strings, only and required for ``enum``) and ``help``.
    """
    if not isinstance(schema, list):
        return [_("The attribute schema must be a list of attribute definitions.")]
    if len(schema) > MAX_ATTRIBUTES:
        return [_("A CI type may have at most %(n)s attributes.") % {"n": MAX_ATTRIBUTES}]
    problems: list[str] = []
    seen: set[str] = set()
    for index, item in enumerate(schema, start=1):
        where = _("Attribute %(n)s") % {"n": index}
        if not isinstance(item, dict):
            problems.append(_("%(where)s: must be an object.") % {"where": where})
            continue
        unknown = sorted(set(item) - SCHEMA_KEYS)
        if unknown:
            problems.append(
                _("%(where)s: unknown keys %(keys)s.") % {"where": where, "keys": ", ".join(unknown)}
            )
        name = item.get("name")
        if not isinstance(name, str) or not NAME.match(name):
            problems.append(
                _("%(where)s: name must be lower-case letters, digits and _ (starting with a letter).")
                % {"where": where}
            )
        elif name in seen:
            problems.append(_("%(where)s: the name %(name)s is used twice.") % {"where": where, "name": name})
        else:
            seen.add(name)
        for key in ("label", "label_en", "help"):
            value = item.get(key, "")
            if not isinstance(value, str) or len(value) > 200 or text.has_control_characters(value):
                problems.append(_("%(where)s: %(key)s must be a short text.") % {"where": where, "key": key})
        if not item.get("label"):
            problems.append(_("%(where)s: a label is required.") % {"where": where})
        kind = item.get("type")
        if kind not in AttributeType.values:
            problems.append(_("%(where)s: unknown type %(type)r.") % {"where": where, "type": kind})
        if not isinstance(item.get("required", False), bool):
            problems.append(_("%(where)s: required must be true or false.") % {"where": where})
        choices = item.get("choices")
        if kind == AttributeType.ENUM:
            if (
                not isinstance(choices, list)
                or not choices
                or not all(isinstance(c, str) and c and len(c) <= 100 for c in choices)
                or len(set(choices)) != len(choices)
            ):
                problems.append(_("%(where)s: a list needs distinct, non-empty choices.") % {"where": where})
        elif choices not in (None, []):
            problems.append(_("%(where)s: only list attributes have choices.") % {"where": where})
    return problems


def _string(value: Any, limit: int) -> str:
    if not isinstance(value, str):
        raise ValueError(_("Expected text."))
    if len(value) > limit:
        raise ValueError(_("At most %(n)s characters.") % {"n": limit})
    if text.has_control_characters(value):
        raise ValueError(_("Control characters are not allowed."))
    return value


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(_("Expected a whole number."))
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,18}", value.strip()):
        number = int(value.strip())
    else:
        raise ValueError(_("Expected a whole number."))
    if abs(number) > 2**53:
        raise ValueError(_("The number is too large."))
    return number


def _decimal(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(_("Expected a number."))
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(_("Expected a number.")) from exc
    if not number.is_finite() or abs(number) > Decimal("1e15"):
        raise ValueError(_("Expected a finite number below 10^15."))
    return format(number.normalize(), "f")


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "yes", "1", "はい", "y"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"false", "no", "0", "いいえ", "n"}:
        return False
    raise ValueError(_("Expected yes or no."))


def _date(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(_("Expected a date (YYYY-MM-DD)."))
    try:
        return dt.date.fromisoformat(value.strip().replace("/", "-")).isoformat()
    except ValueError as exc:
        raise ValueError(_("Expected a date (YYYY-MM-DD).")) from exc


def _ip(value: Any) -> str:
    try:
        return str(ipaddress.ip_address(_string(value, 64).strip()))
    except ValueError as exc:
        raise ValueError(_("Expected an IPv4 or IPv6 address.")) from exc


def _cidr(value: Any) -> str:
    try:
        return str(ipaddress.ip_network(_string(value, 64).strip(), strict=False))
    except ValueError as exc:
        raise ValueError(_("Expected a network such as 10.0.1.0/24.")) from exc


def _hostname(value: Any) -> str:
    name = _string(value, 253).strip()
    if not HOSTNAME.match(name):
        raise ValueError(_("Expected a host name such as app01.example.jp."))
    return name.lower()


def _port(value: Any) -> str:
    raw = str(_integer(value)) if isinstance(value, int) else _string(value, 20).strip().lower()
    if raw in {"any", "*"}:
        return "any"
    match = re.fullmatch(r"(\d{1,5})(?:-(\d{1,5}))?", raw)
    if not match:
        raise ValueError(_("Expected a port (443), a range (8000-8080) or any."))
    low, high = int(match.group(1)), int(match.group(2) or match.group(1))
    if not (1 <= low <= high <= 65535):
        raise ValueError(_("Ports are between 1 and 65535."))
    return raw


def _validated(validator: Any, value: Any, message: str) -> str:
    raw = _string(value, MAX_STRING).strip()
    try:
        validator(raw)
    except ValidationError as exc:
        raise ValueError(message) from exc
    return raw


def clean_value(definition: Mapping[str, Any], value: Any) -> Any:
    """Return ``value`` normalised for the attribute ``definition``; raise ValueError with a reason."""
    kind = definition.get("type")
    if kind == AttributeType.STRING:
        return _string(value, MAX_STRING)
    if kind == AttributeType.TEXT:
        return _string(value, MAX_TEXT)
    if kind == AttributeType.INTEGER:
        return _integer(value)
    if kind == AttributeType.DECIMAL:
        return _decimal(value)
    if kind == AttributeType.BOOLEAN:
        return _boolean(value)
    if kind == AttributeType.DATE:
        return _date(value)
    if kind == AttributeType.IP:
        return _ip(value)
    if kind == AttributeType.CIDR:
        return _cidr(value)
    if kind == AttributeType.HOSTNAME:
        return _hostname(value)
    if kind == AttributeType.PORT:
        return _port(value)
    if kind == AttributeType.URL:
        return _validated(URLValidator(schemes=["http", "https"]), value, _("Expected an http(s) URL."))
    if kind == AttributeType.EMAIL:
        return _validated(EmailValidator(), value, _("Expected an email address."))
    if kind == AttributeType.ENUM:
        choices = definition.get("choices") or []
        if value not in choices:
            raise ValueError(_("Expected one of: %(choices)s.") % {"choices": ", ".join(choices)})
        return value
    raise ValueError(_("Unknown attribute type."))


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def clean_attributes(schema: list[dict[str, Any]], values: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate CI attribute values against a type's schema.

    Returns the normalised values (empty values dropped) and the errors by attribute name;
    ``__all__`` holds errors about the value as a whole. Unknown attributes are errors, so a typo
    never silently stores data nobody can find.
    """
    if values is None:
        values = {}
    if not isinstance(values, dict):
        return {}, {"__all__": _("Attributes must be an object of name: value.")}
    by_name = {d["name"]: d for d in schema if isinstance(d, dict) and "name" in d}
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in values:
        if name not in by_name:
            errors[str(name)[:60]] = _("Unknown attribute for this CI type.")
    for name, definition in by_name.items():
        value = values.get(name)
        if _empty(value):
            if definition.get("required"):
                errors[name] = _("This attribute is required.")
            continue
        try:
            cleaned[name] = clean_value(definition, value)
        except ValueError as exc:
            errors[name] = str(exc)
    return cleaned, errors


def attribute_label(definition: Mapping[str, Any], language: str) -> str:
    """Return the label of an attribute in ``language`` (Japanese label by default)."""
    if language.startswith("en") and definition.get("label_en"):
        return str(definition["label_en"])
    return str(definition.get("label") or definition.get("name") or "")
