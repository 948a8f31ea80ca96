"""Serializer building blocks: strict input, visible-only references, version field."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, ClassVar

from django.utils.translation import gettext as _
from rest_framework import serializers

from kaizen.core import memo


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """A reference by id that only accepts records the requesting user can see.

    An invisible record is reported exactly like a missing one, so ids of other organisations
    cannot be probed.
    """

    def to_internal_value(self, data: Any) -> Any:
        # 1.5 or true would be coerced to an id by the database; refuse anything but integers.
        if isinstance(data, bool | float) or (isinstance(data, str) and not data.strip().isdigit()):
            self.fail("incorrect_type", data_type=type(data).__name__)
        model = self.unfiltered_model()
        if not memo.active() or model is None:
            return super().to_internal_value(data)
        # In a batch the row is looked up once for every item naming it (and by the service).
        try:
            pk = int(data)
        except (TypeError, ValueError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        user = getattr(self.context.get("request"), "user", None)
        found = memo.visible(model, user, pk)
        if found is None:
            self.fail("does_not_exist", pk_value=data)
        return found

    def unfiltered_model(self) -> Any:
        """The model of the references, when the field accepts any of its visible rows (else None)."""
        queryset: Any = getattr(self, "queryset", None)
        if queryset is None:
            return None
        queryset = queryset.all()  # a model's manager, as DRF gives generated fields, or a queryset
        return None if queryset.query.where else queryset.model

    def get_queryset(self) -> Any:
        queryset: Any = super().get_queryset()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return queryset.visible_to(user, "view")


class StrictModelSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """ModelSerializer that rejects unknown fields and carries the optimistic-locking version.

    ``version`` is read-only in responses; on update the client sends it back (or uses If-Match).
    """

    version = serializers.IntegerField(
        required=False, min_value=1, help_text="Optimistic-locking version; send it back on update."
    )
    serializer_related_field = VisibleRelatedField
    _fields_cache: ClassVar[dict[type, dict[str, Any]]] = {}

    def get_fields(self) -> dict[str, Any]:
        """Build the fields from the model once per serializer class, then copy them.

        DRF introspects the model for every serializer instance; on write-heavy endpoints that
        was a fifth of the request. Copies are independent, as DRF's own declared fields are.
        """
        cls = type(self)
        built = StrictModelSerializer._fields_cache.get(cls)
        if built is None:
            built = StrictModelSerializer._fields_cache[cls] = super().get_fields()
        return copy.deepcopy(built)

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, Mapping):
            raise serializers.ValidationError(
                {
                    "non_field_errors": [
                        _("Expected a JSON object, got %(type)s.") % {"type": type(data).__name__}
                    ]
                }
            )
        writable = {name for name, field in self.fields.items() if not field.read_only}
        unknown = sorted(str(k) for k in data if k not in writable and k not in self.fields)
        read_only = sorted(str(k) for k in data if k in self.fields and k not in writable)
        errors = {k: [_("Unknown field.")] for k in unknown}
        errors.update({k: [_("This field is read-only.")] for k in read_only})
        if errors:
            raise serializers.ValidationError(errors)
        return super().to_internal_value(data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Model validation (full_clean) runs in the service, inside the transaction.
        return attrs

    def to_representation(self, instance: Any) -> Any:
        data = super().to_representation(instance)
        data["version"] = getattr(instance, "version", None)
        return data
