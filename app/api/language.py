"""The language of the API's refusals: English, or Arabic when the request asks for it.

Code everywhere raises English (`ApiError`, marshmallow, the record rules); only the one
error format (`app.api.errors.error_response`) asks this module for the request's language
and swaps each message, and each field's reasons, for its Arabic. `code`, field names and
everything else in the body stay as they were: clients and tests compare those.

The language is the request's ``Accept-Language`` (the browser app sends its own UI
language, not the browser's); anything but Arabic gets English, the source text. A message
with no Arabic entry also stays English: better English than nothing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from flask import has_request_context, request

from app.api import messages_ar

__all__ = [
    "LANGUAGES",
    "all_templates",
    "arabic_for",
    "request_language",
    "translate",
    "translate_fields",
]

LANGUAGES = ("en", "ar")

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def request_language() -> str:
    """``ar`` when the current request prefers Arabic to English, else ``en``."""
    if not has_request_context():
        return "en"
    return request.accept_languages.best_match(LANGUAGES) or "en"


def _compile(template: str) -> re.Pattern[str]:
    # Literal parts escaped, each {name} a lazy group; a name used twice must repeat its value.
    out: list[str] = []
    seen: set[str] = set()
    last = 0
    for m in _PLACEHOLDER.finditer(template):
        out.append(re.escape(template[last : m.start()]))
        name = m.group(1)
        out.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        seen.add(name)
        last = m.end()
    out.append(re.escape(template[last:]))
    return re.compile("".join(out), re.DOTALL)


def _arabic_value(value: str) -> str:
    # Values are ids, numbers, codes and lists of them: kept, but lists read in Arabic.
    # Quoted values (marshmallow's "{input}", Python's repr) keep their own commas.
    if value[:1] in "'\"":
        return value
    return messages_ar.VALUES.get(value, value).replace(", ", "، ")


def _exact_from_elsewhere() -> dict[str, str]:
    """Messages whose Arabic already lives beside them in the code."""
    from app.schemas.record_rules import CROSS_FIELD_RULES
    from app.vocabularies import ERROR_MESSAGES, FIELD_MESSAGES

    table = {label["en"]: label["ar"] for label in ERROR_MESSAGES.values()}
    for rule in CROSS_FIELD_RULES:
        table[rule["message"]["en"]] = rule["message"]["ar"]
    table.update({en: ar for en, ar in FIELD_MESSAGES.items() if not _PLACEHOLDER.search(en)})
    return table


def all_templates() -> dict[str, str]:
    """Every English template with values -> its Arabic (the API's and the record fields')."""
    from app.vocabularies import FIELD_MESSAGES

    fields = {en: ar for en, ar in FIELD_MESSAGES.items() if _PLACEHOLDER.search(en)}
    return {**fields, **messages_ar.TEMPLATES}


@functools.cache
def _tables() -> tuple[dict[str, str], list[tuple[re.Pattern[str], str]]]:
    exact = {**_exact_from_elsewhere(), **messages_ar.EXACT}
    # The template with the most literal text first: "Must be {value}." must not take
    # what "Must be between {min} and {max}." says better.
    ordered = sorted(all_templates().items(), key=lambda kv: -len(_PLACEHOLDER.sub("", kv[0])))
    return exact, [(_compile(en), ar) for en, ar in ordered]


def arabic_for(text: str) -> str | None:
    """The Arabic of one English message, or None when the tables have none."""
    exact, templates = _tables()
    found = exact.get(text)
    if found is not None:
        return found
    for pattern, arabic in templates:
        m = pattern.fullmatch(text)
        if m:
            return _fill(arabic, {k: _arabic_value(v) for k, v in m.groupdict().items()})
    return None


def _fill(template: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def translate(text: str, lang: str) -> str:
    """``text`` in ``lang``: the Arabic when there is one, else the English as it was."""
    if lang != "ar" or not isinstance(text, str):
        return text
    return arabic_for(text) or text


def _walk(value: Any, each: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return each(value)
    if isinstance(value, dict):
        return {key: _walk(inner, each) for key, inner in value.items()}  # keys are fields
    if isinstance(value, list | tuple):
        return [_walk(inner, each) for inner in value]
    return value


def translate_fields(fields: Any, lang: str) -> Any:
    """A ``{field: [reasons]}`` tree (nested at any depth) with its reasons in ``lang``;
    the field names, the shape and anything that is not text are kept."""
    if lang != "ar":
        return fields
    return _walk(fields, lambda text: translate(text, lang))
