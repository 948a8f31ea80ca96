"""QuickSelect writes exactly the HTML of Django's Select; model_choices reads the options in one query."""

from __future__ import annotations

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from kaizen.accounts.models import Organisation
from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.core.access import Role
from kaizen.core.testing.ui import HOSTILE_VALUES
from kaizen.core.ui.widgets import QuickSelect, model_choices

CHOICES = [
    ("", "---------"),
    (None, "none"),
    ("a", "Alpha"),
    (2, gettext_lazy("Yes")),
    ("dup", "first"),
    ("dup", "second"),
    *((f"h{i}", value) for i, value in enumerate(HOSTILE_VALUES)),
    ('"><script>', "value needing escapes"),
]


@pytest.mark.parametrize(
    ("value", "attrs"),
    [
        (None, None),
        ("", {"id": "filter-x"}),
        ("a", {"id": "filter-x", "required": True, "disabled": False, "data-y": '<"&>'}),
        ("a", {"data-safe": mark_safe("<b>"), "data-none": None}),
        (2, None),
        ("2", None),
        ("dup", None),
        ('"><script>', None),
        (["a", "2"], None),
        ("missing", None),
    ],
)
@pytest.mark.parametrize("multiple", [False, True])
def test_quick_select_renders_the_same_html_as_django(value, attrs, multiple):
    base, quick = (forms.SelectMultiple, type("Q", (QuickSelect,), {"allow_multiple_selected": True}))
    if not multiple:
        base, quick = forms.Select, QuickSelect
    for language in ("ja", "en"):
        with override(language):
            expected = base(attrs={"class": "c"}, choices=CHOICES).render("team", value, attrs)
            assert quick(attrs={"class": "c"}, choices=CHOICES).render("team", value, attrs) == expected


def test_quick_select_escapes_what_it_writes():
    html = QuickSelect(choices=[(v, v) for v in HOSTILE_VALUES]).render("x", HOSTILE_VALUES[0])
    assert "<script>" not in html and "<img" not in html


def test_quick_select_leaves_option_groups_to_django():
    grouped = [("", "---------"), ("Group", [("a", "A"), ("b", "B")])]
    expected = forms.Select(choices=grouped).render("g", "b")
    assert QuickSelect(choices=grouped).render("g", "b") == expected


def test_quick_select_renders_a_bound_form_field_like_select():
    class Plain(forms.Form):
        kind = forms.ChoiceField(choices=CHOICES[2:4], required=False)

    class Quick(forms.Form):
        kind = forms.ChoiceField(choices=CHOICES[2:4], required=False, widget=QuickSelect)

    assert str(Quick({"kind": "a"})["kind"]) == str(Plain({"kind": "a"})["kind"])


@pytest.mark.django_db
def test_model_choices_are_the_visible_records_in_one_query():
    mine, theirs = OrganisationFactory(name="自社 <b>"), OrganisationFactory(name="他社")
    user = user_with_role(Role.AGENT, mine)
    field = forms.ModelChoiceField(queryset=Organisation.objects.visible_to(user))
    with CaptureQueriesContext(connection) as ctx:
        choices = model_choices(field.queryset, empty_label=field.empty_label)
    assert len(ctx.captured_queries) == 1
    assert choices == [("", field.empty_label), (mine.pk, "自社 <b>")]
    assert theirs.pk not in [pk for pk, _label in choices]
    expected = [(str(v), str(label)) for v, label in field.choices]
    assert [(str(v), label) for v, label in choices] == expected
