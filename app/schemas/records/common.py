"""Field types of record schemas: each cleans one JSON value and describes itself in JSON Schema.

Every field here turns what a device or a browser sends into the one canonical form stored
and hashed (codes, ISO date strings, decimals as strings, lowercase UUIDs), and knows the
JSON Schema of that canonical form (``json_schema()``), so the schema the offline client
validates against is generated from the very objects that validate on the server.

The JSON Schema is deliberately a little stricter than the server: the server also accepts
Arabic-Indic digits in numbers and dates, JSON numbers for decimals, and text with spaces
around it, and cleans them; the client is expected to send the canonical form.

Every error carries a stable code (:class:`CodedMessage`) besides its English message; the
browser shows its own Arabic or English text for the code.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import Schema, ValidationError, fields

from app.vocabularies import ERROR_MESSAGES, VOCABULARIES

__all__ = [
    "LONG_TEXT",
    "SHORT_TEXT",
    "Age",
    "Bool",
    "Code",
    "CodeSet",
    "CodedMessage",
    "Const",
    "DecimalString",
    "FullDate",
    "Int",
    "NameList",
    "ObjectList",
    "PartialDate",
    "RecordField",
    "Text",
    "Timestamp",
    "Uuid",
    "normalise_digits",
]

SHORT_TEXT = 200  # names, item names, units: one line
LONG_TEXT = 10_000  # descriptions, circumstances, notes: several lines


class CodedMessage(str):
    """An English error message that also carries a stable machine ``code``."""

    code: str

    def __new__(cls, text: str, code: str = "invalid") -> CodedMessage:
        message = super().__new__(cls, text)
        message.code = code
        return message

    def __reduce__(self) -> tuple[Any, ...]:
        # marshmallow may deep-copy error lists; keep the code across copies.
        return (CodedMessage, (str(self), self.code))


def coded(code: str, text: str | None = None) -> CodedMessage:
    """Return the message for ``code``: ``text`` or the English sentence of the code."""
    return CodedMessage(text or ERROR_MESSAGES[code]["en"], code)


# Arabic-Indic (U+0660…) and Eastern Arabic-Indic (U+06F0…, Persian/Urdu keyboards) digits,
# and the Arabic decimal separator: what an Arabic keyboard types into a number box.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫", "01234567890123456789.")


def normalise_digits(text: str) -> str:
    """Return ``text`` with Arabic-Indic digits and decimal separator turned into ASCII."""
    return text.translate(_DIGITS)


# --- patterns shared by the server check and the JSON Schema --------------------------------
# ``[0-9]`` and never ``\d``: Python's ``\d`` matches every script's digits, JavaScript's
# only ASCII, and the browser must read these patterns exactly as the server does.
_YEAR = r"(?:1[89][0-9]{2}|2[0-9]{3})"  # 1800-2999: birth dates of the very old to far ahead
_MONTH = r"(?:0[1-9]|1[0-2])"
_DAY_OF = (
    r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    r"|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
# Leap years of 1800-2999: divisible by 4, and the centuries divisible by 400.
_LEAP_DAY = r"(?:(?:1[89]|2[0-9])(?:0[48]|[2468][048]|[13579][26])|2[048]00)-02-29"
_FULL_DATE = rf"(?:{_YEAR}-{_DAY_OF}|{_LEAP_DAY})"
FULL_DATE_PATTERN = rf"^{_FULL_DATE}$"
PARTIAL_DATE_PATTERN = rf"^(?:{_YEAR}|{_YEAR}-{_MONTH}|{_FULL_DATE})$"
TIMESTAMP_PATTERN = (
    rf"^{_FULL_DATE}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{{1,6}})?Z$"
)
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
_AGE = r"(?:130|1[0-2][0-9]|[1-9]?[0-9])"
AGE_PATTERN = rf"^{_AGE}(?:-{_AGE})?$"
_MIN_YEAR, _MAX_YEAR = 1800, 2999

# Cc (C0, DEL, C1) except what multi-line text keeps; lone surrogates cannot be stored.
_CONTROL_LINE = "\x00-\x1f\x7f-\x9f"
_CONTROL_MULTI = "\x00-\x08\x0b-\x1f\x7f-\x9f"
_BAD_LINE = re.compile(f"[{_CONTROL_LINE}\ud800-\udfff]")
_BAD_MULTI = re.compile(f"[{_CONTROL_MULTI}\ud800-\udfff]")


def _js_class(chars: str) -> str:
    # Control characters written as \\xHH so the pattern reads the same in every language.
    out = []
    for char in chars:
        out.append(f"\\x{ord(char):02x}" if ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F else char)
    return "".join(out)


class RecordField(fields.Field):
    """A field whose errors carry codes and which describes itself in JSON Schema.

    Optional fields accept ``null`` (the writer clears them); required ones do not.
    """

    default_error_messages = {  # noqa: RUF012 - marshmallow merges this class attribute
        "required": coded("required"),
        "null": coded("null"),
        "validator_failed": coded("invalid_type"),
    }

    def __init__(self, *, required: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("allow_none", not required)
        super().__init__(required=required, **kwargs)

    def make_error(self, key: str, **kwargs: Any) -> ValidationError:
        """Return the error for ``key``, its message carrying ``key`` as its code."""
        message = self.error_messages.get(key) or ERROR_MESSAGES[key]["en"]
        code = getattr(message, "code", key)
        return ValidationError(CodedMessage(str(message).format(**kwargs), code))

    def fail(self, code: str, text: str | None = None) -> ValidationError:
        """Return an error with ``code`` and its standard (or the given) English message."""
        return ValidationError(coded(code, text))

    def json_schema(self) -> dict[str, Any]:
        """Return the JSON Schema of this field's canonical value (without ``null``)."""
        raise NotImplementedError

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return value


class Text(RecordField):
    """Text, stripped; control characters refused; ``""`` means no value.

    Single-line text (names, units) refuses every control character; multi-line text
    (descriptions, notes) keeps newlines and tabs, with CRLF read as LF. Text is otherwise
    kept exactly as typed: no Unicode normalisation, because NFC reorders Arabic
    diacritics (shadda before fatha) and names must come back as the family wrote them.
    """

    def __init__(self, max_length: int = SHORT_TEXT, *, multiline: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.max_length = max_length
        self.multiline = multiline

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        if not isinstance(value, str):
            raise self.fail("invalid_type", "Not a text value.")
        if self.multiline:
            value = value.replace("\r\n", "\n")
        if (_BAD_MULTI if self.multiline else _BAD_LINE).search(value):
            raise self.fail(
                "bad_characters",
                "Contains control or invalid characters"
                + (" (only line breaks and tabs are allowed)." if self.multiline else "."),
            )
        value = value.strip()
        if len(value) > self.max_length:
            raise self.fail("too_long", f"Longer than {self.max_length} characters.")
        if not value:
            if self.required or not self.allow_none:
                raise self.make_error("required")
            return None
        return value

    def json_schema(self) -> dict[str, Any]:
        allowed = _js_class(_CONTROL_MULTI if self.multiline else _CONTROL_LINE)
        # A required text must have something besides spaces, which the server strips.
        pattern = f"^[^{allowed}]*[^{allowed}\\s][^{allowed}]*$" if self.required else None
        schema: dict[str, Any] = {"type": "string", "maxLength": self.max_length}
        schema["pattern"] = pattern or f"^[^{allowed}]*$"
        return schema


class Code(RecordField):
    """One code of a vocabulary of ``app.vocabularies``."""

    def __init__(self, vocabulary: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.vocabulary = vocabulary
        self.choices = tuple(VOCABULARIES[vocabulary])

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise self.fail("invalid_type", "Not a code.")
        if value not in self.choices:
            raise self.fail("not_in_vocabulary", f"Not one of: {', '.join(self.choices)}.")
        return value

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.choices), "x-vocabulary": self.vocabulary}


class Const(RecordField):
    """A value that must be exactly ``value`` (a record's ``kind``, its ``schema_version``)."""

    def __init__(self, value: str | int, code: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.value = value
        self.code = code

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if type(value) is not type(self.value) or value != self.value:
            raise self.fail(self.code, f"Must be {self.value!r}.")
        return value

    def json_schema(self) -> dict[str, Any]:
        return {"const": self.value}


class Uuid(RecordField):
    """A UUID in its hyphenated form, any case; stored lowercase."""

    _SHAPE = re.compile(UUID_PATTERN, re.ASCII | re.IGNORECASE)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str) or not self._SHAPE.match(value):
            raise self.fail("invalid_id")
        return value.lower()

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": UUID_PATTERN, "format": "uuid"}


class Bool(RecordField):
    """A JSON boolean; ``"true"``, 1 and other look-alikes are refused, not guessed."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.fail("invalid_type", "Not true or false.")
        return value

    def json_schema(self) -> dict[str, Any]:
        return {"type": "boolean"}


class Int(RecordField):
    """A whole number within ``[minimum, maximum]``.

    Accepts a JSON integer, a float with no fraction, or a string of digits (ASCII or
    Arabic-Indic); refuses booleans.
    """

    _DIGITS_ONLY = re.compile(r"^-?[0-9]+$", re.ASCII)

    def __init__(self, minimum: int, maximum: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.minimum = minimum
        self.maximum = maximum

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise self.fail("not_an_integer")
        if isinstance(value, float):
            if not math.isfinite(value) or not value.is_integer():
                raise self.fail("not_an_integer")
            value = int(value)
        elif isinstance(value, str):
            text = normalise_digits(value.strip())
            if not self._DIGITS_ONLY.match(text) or len(text) > 20:
                raise self.fail("not_an_integer")
            value = int(text)
        elif not isinstance(value, int):
            raise self.fail("not_an_integer")
        if not self.minimum <= value <= self.maximum:
            raise self.fail("out_of_range", f"Must be between {self.minimum} and {self.maximum}.")
        return value

    def json_schema(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}


def canonical_decimal(value: Decimal) -> str:
    """Return the one text form of a decimal: fixed point, no trailing zeros, no ``-0``."""
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


class DecimalString(RecordField):
    """A decimal number within bounds with at most ``places`` decimals, stored as a string.

    Decimals travel as strings in changes (hashes must not depend on float printing).
    Accepts a JSON number or a numeric string (ASCII or Arabic-Indic digits, ``٫`` as the
    decimal point); refuses exponents, NaN and infinities.
    """

    _NUMBER = re.compile(r"^-?[0-9]+(?:\.[0-9]+)?$", re.ASCII)

    def __init__(self, minimum: int, maximum: int, places: int, pattern: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.minimum = Decimal(minimum)
        self.maximum = Decimal(maximum)
        self.places = places
        self.pattern = pattern

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, bool):
            raise self.fail("not_a_number")
        if isinstance(value, float):
            if not math.isfinite(value):
                raise self.fail("not_a_number")
            text = repr(value)  # the shortest text that reads back as this float
        elif isinstance(value, int):
            text = str(value)
        elif isinstance(value, str):
            text = normalise_digits(value.strip())
        else:
            raise self.fail("not_a_number")
        if not self._NUMBER.match(text) and not isinstance(value, float):
            raise self.fail("not_a_number", "Not a number like 34.7231.")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise self.fail("not_a_number") from None
        if not number.is_finite():
            raise self.fail("not_a_number")
        if not self.minimum <= number <= self.maximum:
            raise self.fail("out_of_range", f"Must be between {self.minimum} and {self.maximum}.")
        exponent = number.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > self.places:
            raise self.fail("too_many_decimals", f"At most {self.places} decimal places.")
        return canonical_decimal(number)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        return canonical_decimal(Decimal(str(value)))

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": self.pattern}


def _date_text(value: Any, field: RecordField) -> str:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if not isinstance(value, str):
        raise field.fail("invalid_type", "Not a date written as text.")
    return normalise_digits(value.strip())


_DATE_SHAPE = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$", re.ASCII)


def parse_partial_date(text: str, field: RecordField, *, full_only: bool = False) -> str:
    """Check a partial date's shape and that it exists; return it as given."""
    match = _DATE_SHAPE.match(text)
    if not match or (full_only and match.group(3) is None):
        raise field.fail(
            "invalid_date", "Use YYYY-MM-DD." if full_only else "Use YYYY, YYYY-MM or YYYY-MM-DD."
        )
    year, month, day = (int(part) if part else None for part in match.groups())
    if not _MIN_YEAR <= year <= _MAX_YEAR:  # type: ignore[operator]
        raise field.fail("out_of_range", f"The year must be between {_MIN_YEAR} and {_MAX_YEAR}.")
    try:
        date(year, month or 1, day or 1)  # type: ignore[arg-type]
    except ValueError:
        raise field.fail("impossible_date", f"{text} is not a day of the calendar.") from None
    return text


class PartialDate(RecordField):
    """A date known to the year, month or day: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return parse_partial_date(_date_text(value, self), self)

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": PARTIAL_DATE_PATTERN}


class FullDate(RecordField):
    """A calendar day, ``YYYY-MM-DD``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return parse_partial_date(_date_text(value, self), self, full_only=True)

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": FULL_DATE_PATTERN, "format": "date"}


class Timestamp(RecordField):
    """An instant with a time zone, stored in UTC as ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``.

    The server also accepts ``+HH:MM`` offsets and converts; the client sends UTC
    (``Date.prototype.toISOString()``), which is what the JSON Schema states.
    """

    _SHAPE = re.compile(
        r"^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?"
        r"(Z|[+-][0-9]{2}:[0-9]{2})$",
        re.ASCII,
    )

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise self.fail("invalid_type", "Not a date and time written as text.")
        match = self._SHAPE.match(normalise_digits(value.strip()))
        if not match:
            raise self.fail("invalid_datetime", "Use YYYY-MM-DDTHH:MM:SSZ (UTC) or an offset.")
        year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
        fraction, offset = match.group(7), match.group(8)
        try:
            zone = UTC
            if offset != "Z":
                sign = -1 if offset[0] == "-" else 1
                zone = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:])))
            moment = datetime(
                year, month, day, hour, minute, second, int((fraction or "0").ljust(6, "0")), zone
            ).astimezone(UTC)
        except ValueError:
            raise self.fail("impossible_date", f"{value} is not a real moment.") from None
        if not _MIN_YEAR <= moment.year <= _MAX_YEAR:
            raise self.fail(
                "out_of_range", f"The year must be between {_MIN_YEAR} and {_MAX_YEAR}."
            )
        text = moment.strftime("%Y-%m-%dT%H:%M:%S")
        if moment.microsecond:
            text += f".{moment.microsecond:06d}".rstrip("0")
        return text + "Z"

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": TIMESTAMP_PATTERN, "format": "date-time"}


class Age(RecordField):
    """An age at disappearance as PFIF writes it: ``N`` or an inclusive range ``N-M`` (0-130).

    That N ≤ M is the cross-field rule ``ordered_range`` (one checker for server and client).
    """

    _SHAPE = re.compile(AGE_PATTERN, re.ASCII)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise self.fail("invalid_age")
        text = normalise_digits(value.strip()).replace(" ", "")
        if not self._SHAPE.match(text):
            raise self.fail("invalid_age")
        return text

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": AGE_PATTERN}


class _ListField(RecordField):
    def __init__(self, max_items: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_items = max_items

    def _items(self, value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail("not_a_list")
        if len(value) > self.max_items:
            raise self.fail("too_long", f"At most {self.max_items} entries.")
        return value


class CodeSet(_ListField):
    """A set of codes of one vocabulary, sent as a list without repeats; stored sorted."""

    def __init__(self, vocabulary: str, **kwargs: Any) -> None:
        super().__init__(max_items=100, **kwargs)
        self.code = Code(vocabulary, required=True)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[str]:
        items = self._items(value)
        errors: dict[int, list[str]] = {}
        seen: set[str] = set()
        for index, item in enumerate(items):
            try:
                code = self.code.deserialize(item)
            except ValidationError as err:
                errors[index] = err.messages  # type: ignore[assignment]
                continue
            if code in seen:
                errors[index] = [coded("duplicate", f"{code} is listed twice.")]
            seen.add(code)
        if errors:
            raise ValidationError(errors)  # type: ignore[arg-type]
        return sorted(seen)

    def json_schema(self) -> dict[str, Any]:
        return {"type": "array", "items": self.code.json_schema(), "uniqueItems": True}


class NameList(_ListField):
    """Other names of a person (nicknames, kunya): one-line texts, repeats dropped, order kept."""

    def __init__(self, max_items: int = 50, **kwargs: Any) -> None:
        super().__init__(max_items=max_items, **kwargs)
        self.item = Text(SHORT_TEXT, required=True)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[str]:
        errors: dict[int, list[str]] = {}
        names: list[str] = []
        for index, item in enumerate(self._items(value)):
            try:
                name = self.item.deserialize(item)
            except ValidationError as err:
                errors[index] = err.messages  # type: ignore[assignment]
                continue
            # "Abu Ahmad" and "Abu Ahmad " are one name: the set in sync is by text.
            if name not in names:
                names.append(name)
        if errors:
            raise ValidationError(errors)  # type: ignore[arg-type]
        return names

    def json_schema(self) -> dict[str, Any]:
        return {
            "type": "array",
            "items": self.item.json_schema(),
            "maxItems": self.max_items,
            "uniqueItems": True,
        }


class ObjectList(_ListField):
    """A list of objects, each loaded by ``schema`` (a missing person's notes)."""

    def __init__(self, schema: type[Schema], max_items: int = 500, **kwargs: Any) -> None:
        super().__init__(max_items=max_items, **kwargs)
        self.schema = schema

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> list[dict[str, Any]]:
        errors: dict[int, Any] = {}
        loaded: list[dict[str, Any]] = []
        schema = self.schema()
        for index, item in enumerate(self._items(value)):
            try:
                loaded.append(schema.load(item))  # type: ignore[arg-type]
            except ValidationError as err:
                errors[index] = err.messages
        if errors:
            raise ValidationError(errors)
        return loaded

    def json_schema(self) -> dict[str, Any]:
        # Imported here: jsonschema builds object schemas from schemas made of these fields.
        from app.schemas.records.jsonschema import object_schema

        return {"type": "array", "items": object_schema(self.schema()), "maxItems": self.max_items}
