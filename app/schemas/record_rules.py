"""Cross-field rules of the record kinds, written as data, and the one checker of them.

A rule relates two or more fields ("killed_min ≤ killed_max", "injury_severity only when
the outcome is injured"). JSON Schema cannot say these, so they travel to the browser as
data (``x-cross-field-rules`` in each kind's JSON Schema) and both sides run the same small
set of rule types:

``lte``
    ``fields: [a, b]``: when both are set, ``a ≤ b``. ``compare`` is ``number``, or
    ``partial_date`` (partial dates are periods: an error only when ``a`` certainly
    starts after ``b`` ends, so 2024 ≤ 2024-03 holds). Error on ``b``.
``ordered_range``
    ``field`` holds ``"N"`` or ``"N-M"``: ``N ≤ M``. Error on ``field``.
``only_when``
    ``field`` may be set (to any value, or to one of ``values`` when given) only when each
    field of ``when`` holds one of the listed values. Error on ``field``.
``derive_age_group``
    When ``source`` (an age in years) is set: ``target`` must be the band holding it; if
    the writer did not send ``target`` it is filled in. Error on ``target``.
``date_precision``
    A partial date ``field`` must have at least ``parts`` parts for the precision in
    ``precision_field`` (``day`` needs YYYY-MM-DD); if the writer sent a date and no
    precision, the precision is filled in from ``derive``. Error on ``precision_field``.
``not_future``
    Each of ``fields`` (partial dates or timestamps) starts no later than today plus
    ``tolerance_days`` (a device one time zone ahead is not lying). Error on the field.
``unique_by``
    ``field`` is a list of objects whose ``key`` values are all different. Error on
    ``field.<index>.<key>`` of the repeat.

A rule with ``each: <list field>`` applies to every object of that list, and its errors are
named ``<list field>.<index>.<field>``. Unset means absent, ``None``, ``""`` or ``[]``.

This module is pure (no marshmallow, no clock): the caller passes ``today``. The
marshmallow schemas call :func:`apply_rules`; so do PATCH callers on the merged record.
"""

from __future__ import annotations

import calendar
import copy
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

__all__ = [
    "CROSS_FIELD_RULES",
    "RULE_TYPES",
    "Violation",
    "apply_rules",
    "partial_date_bounds",
    "rules_for",
]

RULE_TYPES = (
    "lte",
    "ordered_range",
    "only_when",
    "derive_age_group",
    "date_precision",
    "not_future",
    "unique_by",
)

# Age bands of DATA-MODEL.md; the upper bound of the last band is the age limit.
AGE_BANDS = (
    {"code": "child", "min": 0, "max": 17},
    {"code": "adult", "min": 18, "max": 59},
    {"code": "elderly", "min": 60, "max": 130},
)

_ALL = ["incident", "casualty", "missing_person", "supply_need"]


def _m(en: str, ar: str) -> dict[str, str]:
    return {"en": en, "ar": ar}


def _range(kind: str, lower: str, upper: str, what_en: str, what_ar: str) -> dict[str, Any]:
    return {
        "id": f"{kind}_{lower.rsplit('_', 1)[0]}_range",
        "kinds": [kind],
        "rule": "lte",
        "compare": "number",
        "fields": [lower, upper],
        "code": "range_reversed",
        "message": _m(
            f"The highest number {what_en} is lower than the lowest.",
            f"الحد الأعلى لعدد {what_ar} أقل من الحد الأدنى.",
        ),
    }


CROSS_FIELD_RULES: list[dict[str, Any]] = [
    _range("incident", "killed_min", "killed_max", "killed", "القتلى"),
    _range("incident", "injured_min", "injured_max", "injured", "الجرحى"),
    _range("incident", "missing_min", "missing_max", "missing", "المفقودين"),
    {
        "id": "casualty_injury_severity_only_injured",
        "kinds": ["casualty"],
        "rule": "only_when",
        "field": "injury_severity",
        "when": {"outcome": ["injured"]},
        "code": "not_applicable",
        "message": _m(
            "Injury severity applies only to injured people.",
            "شدة الإصابة تخص الجرحى فقط.",
        ),
    },
    {
        "id": "casualty_date_of_death_only_dead",
        "kinds": ["casualty"],
        "rule": "only_when",
        "field": "date_of_death",
        "when": {"outcome": ["killed", "died_of_wounds"]},
        "code": "not_applicable",
        "message": _m(
            "A date of death applies only to people killed or who died of wounds.",
            "تاريخ الوفاة يخص القتلى ومن توفي متأثراً بجراحه فقط.",
        ),
    },
    {
        "id": "casualty_age_group",
        "kinds": ["casualty"],
        "rule": "derive_age_group",
        "source": "age_years",
        "target": "age_group",
        "bands": [dict(band) for band in AGE_BANDS],
        "code": "age_group_mismatch",
        "message": _m(
            "The age group does not match the age in years.",
            "الفئة العمرية لا تطابق العمر بالسنوات.",
        ),
    },
    {
        "id": "casualty_death_after_incident",
        "kinds": ["casualty"],
        "rule": "lte",
        "compare": "partial_date",
        "fields": ["occurred_date", "date_of_death"],
        "code": "date_order",
        "message": _m(
            "The date of death is before the date of the incident.",
            "تاريخ الوفاة يسبق تاريخ الحادثة.",
        ),
    },
    {
        "id": "casualty_death_after_birth",
        "kinds": ["casualty"],
        "rule": "lte",
        "compare": "partial_date",
        "fields": ["date_of_birth", "occurred_date"],
        "code": "date_order",
        "message": _m(
            "The date of the incident is before the date of birth.",
            "تاريخ الحادثة يسبق تاريخ الميلاد.",
        ),
    },
    {
        "id": "missing_person_age_range",
        "kinds": ["missing_person"],
        "rule": "ordered_range",
        "field": "age",
        "code": "range_reversed",
        "message": _m(
            "In an age range N-M, N must not be greater than M.",
            "في مجال العمر ن-م يجب ألا يكون ن أكبر من م.",
        ),
    },
    {
        "id": "missing_person_seen_after_birth",
        "kinds": ["missing_person"],
        "rule": "lte",
        "compare": "partial_date",
        "fields": ["date_of_birth", "last_seen_date"],
        "code": "date_order",
        "message": _m(
            "The last-seen date is before the date of birth.",
            "تاريخ آخر مشاهدة يسبق تاريخ الميلاد.",
        ),
    },
    {
        "id": "missing_person_fate_after_last_seen",
        "kinds": ["missing_person"],
        "rule": "lte",
        "compare": "partial_date",
        "fields": ["last_seen_date", "fate_status_date"],
        "code": "date_order",
        "message": _m(
            "The fate date is before the last-seen date.",
            "تاريخ معرفة المصير يسبق تاريخ آخر مشاهدة.",
        ),
    },
    {
        "id": "missing_person_note_ids_unique",
        "kinds": ["missing_person"],
        "rule": "unique_by",
        "field": "notes",
        "key": "note_id",
        "code": "duplicate",
        "message": _m("Two notes have the same id.", "ملاحظتان بالمعرّف نفسه."),
    },
    {
        # PFIF: "I am this person" is only possible from someone in contact.
        "id": "missing_person_note_author_is_person",
        "kinds": ["missing_person"],
        "each": "notes",
        "rule": "only_when",
        "field": "status",
        "values": ["is_note_author"],
        "when": {"author_made_contact": [True]},
        "code": "not_applicable",
        "message": _m(
            "“I am this person” needs the author to have been in contact.",
            "حالة «أنا هذا الشخص» تتطلب أن يكون الكاتب قد تواصل مع الشخص.",
        ),
    },
    {
        "id": "supply_need_blood_fields",
        "kinds": ["supply_need"],
        "rule": "only_when",
        "field": "blood_group",
        "when": {"item_category": ["blood_product", "medical_consumable"]},
        "code": "not_applicable",
        "message": _m(
            "A blood group applies only to blood products and blood bags.",
            "زمرة الدم تخص منتجات الدم وأكياسه فقط.",
        ),
    },
    {
        "id": "supply_need_blood_component",
        "kinds": ["supply_need"],
        "rule": "only_when",
        "field": "blood_component",
        "when": {"item_category": ["blood_product", "medical_consumable"]},
        "code": "not_applicable",
        "message": _m(
            "A blood component applies only to blood products and blood bags.",
            "مكوّن الدم يخص منتجات الدم وأكياسه فقط.",
        ),
    },
    {
        "id": "occurred_date_precision",
        "kinds": list(_ALL),
        "rule": "date_precision",
        "field": "occurred_date",
        "precision_field": "occurred_date_precision",
        "parts": {"day": 3, "week": 3, "month": 2, "year": 1},
        "derive": {"1": "year", "2": "month", "3": "day"},
        "code": "precision_mismatch",
        "message": _m(
            "The date has fewer parts than its precision says (a day needs YYYY-MM-DD).",
            "التاريخ أقل تفصيلاً مما تذكره دقته (اليوم المحدد يحتاج سنة-شهر-يوم).",
        ),
    },
    {
        "id": "dates_not_future",
        "kinds": list(_ALL),
        "rule": "not_future",
        "fields": [
            "occurred_date",
            "reported_at",
            "date_of_birth",
            "date_of_death",
            "last_seen_date",
            "fate_status_date",
        ],
        "tolerance_days": 1,
        "code": "in_future",
        "message": _m("This date is in the future.", "هذا التاريخ في المستقبل."),
    },
    {
        "id": "note_date_not_future",
        "kinds": ["missing_person"],
        "each": "notes",
        "rule": "not_future",
        "fields": ["date"],
        "tolerance_days": 1,
        "code": "in_future",
        "message": _m("This date is in the future.", "هذا التاريخ في المستقبل."),
    },
]


@dataclass(frozen=True)
class Violation:
    """One broken rule: the field to show it on, the rule, its code and its message."""

    field: str
    rule_id: str
    code: str
    message: dict[str, str]


def rules_for(kind: str) -> list[dict[str, Any]]:
    """Return the rules that apply to records of ``kind`` (copies: callers may change them)."""
    return [copy.deepcopy(rule) for rule in CROSS_FIELD_RULES if kind in rule["kinds"]]


_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$", re.ASCII)


def partial_date_bounds(value: str) -> tuple[date, date] | None:
    """Return the first and last day of a partial date (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``).

    A timestamp (``YYYY-MM-DDTHH:MM…``) counts as its day. None when the text is no date.
    """
    match = _PARTIAL_DATE.match(value[:10] if len(value) > 10 and value[10] == "T" else value)
    if not match:
        return None
    year, month, day = (int(part) if part else None for part in match.groups())
    try:
        if month is None:
            return date(year, 1, 1), date(year, 12, 31)  # type: ignore[arg-type]
        if day is None:
            last = calendar.monthrange(year, month)[1]  # type: ignore[arg-type]
            return date(year, month, 1), date(year, month, last)  # type: ignore[arg-type]
        exact = date(year, month, day)  # type: ignore[arg-type]
    except ValueError:
        return None
    return exact, exact


def _is_set(value: Any) -> bool:
    return value is not None and value != "" and value != []


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _violation(rule: Mapping[str, Any], field: str) -> Violation:
    return Violation(field, rule["id"], rule["code"], dict(rule["message"]))


def _band(age: int) -> str | None:
    for band in AGE_BANDS:
        if band["min"] <= age <= band["max"]:
            return str(band["code"])
    return None


def _check_one(
    rule: Mapping[str, Any],
    record: dict[str, Any],
    *,
    today: date,
    explicit: Collection[str],
    prefix: str,
) -> Iterable[Violation]:
    """Check (and where the rule derives, fill in) one rule on one object."""
    kind = rule["rule"]
    if kind == "lte":
        lower, upper = (record.get(name) for name in rule["fields"])
        if not (_is_set(lower) and _is_set(upper)):
            return
        if rule["compare"] == "partial_date":
            low, high = partial_date_bounds(str(lower)), partial_date_bounds(str(upper))
            broken = low is not None and high is not None and low[0] > high[1]
        elif _is_number(lower) and _is_number(upper):
            broken = lower > upper
        else:
            return  # not numbers: a field error, reported by the field, not by this rule
        if broken:
            yield _violation(rule, prefix + rule["fields"][1])
    elif kind == "ordered_range":
        value = record.get(rule["field"])
        if isinstance(value, str) and "-" in value:
            low_text, _, high_text = value.partition("-")
            if low_text.isdigit() and high_text.isdigit() and int(low_text) > int(high_text):
                yield _violation(rule, prefix + rule["field"])
    elif kind == "only_when":
        value = record.get(rule["field"])
        if not _is_set(value):
            return
        if "values" in rule and value not in rule["values"]:
            return
        if not all(record.get(name) in allowed for name, allowed in rule["when"].items()):
            yield _violation(rule, prefix + rule["field"])
    elif kind == "derive_age_group":
        age = record.get(rule["source"])
        if not isinstance(age, int) or isinstance(age, bool):
            return
        band = _band(age)
        target = rule["target"]
        if target not in explicit or not _is_set(record.get(target)):
            record[target] = band
        elif record[target] != band:
            yield _violation(rule, prefix + target)
    elif kind == "date_precision":
        value = record.get(rule["field"])
        if not isinstance(value, str) or not _is_set(value):
            return
        parts = value.count("-") + 1
        precision_field = rule["precision_field"]
        precision = record.get(precision_field)
        if precision_field not in explicit or not _is_set(precision):
            if rule["field"] in explicit:
                record[precision_field] = rule["derive"][str(parts)]
        elif parts < rule["parts"].get(precision, 0):
            yield _violation(rule, prefix + precision_field)
    elif kind == "not_future":
        limit = today + timedelta(days=int(rule["tolerance_days"]))
        for name in rule["fields"]:
            value = record.get(name)
            if isinstance(value, str) and value:
                bounds = partial_date_bounds(value)
                if bounds is not None and bounds[0] > limit:
                    yield _violation(rule, prefix + name)
    elif kind == "unique_by":
        items = record.get(rule["field"])
        seen: set[Any] = set()
        for index, item in enumerate(items if isinstance(items, list) else []):
            key = item.get(rule["key"]) if isinstance(item, dict) else None
            if key is None:
                continue
            if key in seen:
                yield _violation(rule, f"{prefix}{rule['field']}.{index}.{rule['key']}")
            seen.add(key)
    else:  # pragma: no cover - a typo in the table above, caught by the tests
        raise ValueError(f"unknown rule type {kind!r}")


def apply_rules(
    kind: str,
    record: Mapping[str, Any],
    *,
    today: date,
    explicit: Collection[str] | None = None,
) -> tuple[dict[str, Any], list[Violation]]:
    """Check every rule of ``kind`` on ``record``; return (record with derived fields, errors).

    ``record`` holds cleaned values (codes, ints, ISO strings) and is never changed.
    ``explicit`` names the fields the writer sent this time (default: all of ``record``):
    derived fields (``age_group``, ``occurred_date_precision``) are filled in only when
    the writer did not send them, and checked against the source when they did. For a
    PATCH, pass the merged record and the patched field names. At most one violation per
    field is kept, the first in table order.
    """
    result = dict(record)
    sent = set(result) if explicit is None else set(explicit)
    violations: list[Violation] = []
    for rule in CROSS_FIELD_RULES:
        if kind not in rule["kinds"]:
            continue
        if "each" in rule:
            items = result.get(rule["each"])
            if not isinstance(items, list):
                continue
            copies = []
            for index, item in enumerate(items):
                if not isinstance(item, dict):
                    copies.append(item)
                    continue
                item_copy = dict(item)
                prefix = f"{rule['each']}.{index}."
                violations.extend(
                    _check_one(rule, item_copy, today=today, explicit=item_copy, prefix=prefix)
                )
                copies.append(item_copy)
            result[rule["each"]] = copies
        else:
            violations.extend(_check_one(rule, result, today=today, explicit=sent, prefix=""))
    first: dict[str, Violation] = {}
    for violation in violations:
        first.setdefault(violation.field, violation)
    return result, list(first.values())
