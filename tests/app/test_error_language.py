"""The API refuses in the request's language: Arabic for `Accept-Language: ar`, English
otherwise, with the same status, code and field names either way; and every English
message the code can send has its Arabic (a new one without fails here)."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from marshmallow import Schema, ValidationError

import app as app_package
from app.api import messages_ar
from app.api.language import all_templates, arabic_for, translate, translate_fields
from app.vocabularies import FIELD_MESSAGES

APP = Path(app_package.__file__).parent
ARABIC = re.compile("[\u0600-\u06ff]")
# Calls whose argument `index` is a message a person may read in an error body.
MESSAGE_CALLS = {"ApiError": 1, "error_response": 1, "_invalid": 0, "BundleRejected": 0}
VALIDATORS = {"Regexp", "Length", "Range", "OneOf", "ContainsOnly", "Equal", "Predicate"}


def _sample(node: ast.AST) -> str | None:
    """The text of a string literal; an f-string with each value replaced by `x`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "x" for v in node.values)
    return None


def _reasons(node: ast.AST) -> Iterator[str]:
    """The reason texts of a literal `fields` argument ({field: [reason]}, nested)."""
    if isinstance(node, ast.Dict):
        for value in node.values:
            yield from _reasons(value)
    elif isinstance(node, ast.DictComp):
        yield from _reasons(node.value)
    elif isinstance(node, ast.List | ast.Tuple):
        for element in node.elts:
            text = _sample(element)
            if text is not None:
                yield text
            else:
                yield from _reasons(element)


def _name(func: ast.AST) -> str | None:
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


def _source_messages() -> dict[str, str]:
    """{message: where} for every literal message the app's code passes to an error."""
    found: dict[str, str] = {}
    for path in sorted(APP.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = str(path.relative_to(APP.parent))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) in MESSAGE_CALLS:
                index = MESSAGE_CALLS[_name(node.func)]  # type: ignore[index]
                if len(node.args) > index:
                    text = _sample(node.args[index])
                    if text is not None:
                        found.setdefault(text, f"{where}:{node.lineno}")
                given = dict(enumerate(node.args)).get(3)
                for kw in node.keywords:
                    given = kw.value if kw.arg == "fields" else given
                if _name(node.func) == "ApiError" and given is not None:
                    for text in _reasons(given):
                        found.setdefault(text, f"{where}:{node.lineno} (field)")
            # Field classes of the record schemas: self.fail(code, "message"), coded(...).
            if isinstance(node, ast.Call) and _name(node.func) in ("fail", "coded"):
                if len(node.args) > 1:
                    text = _sample(node.args[1])
                    if text is not None:
                        found.setdefault(text, f"{where}:{node.lineno}")
                for arg in node.args:
                    if isinstance(arg, ast.IfExp):  # "Use YYYY-MM-DD." if ... else "..."
                        for branch in (arg.body, arg.orelse):
                            text = _sample(branch)
                            if text is not None:
                                found.setdefault(text, f"{where}:{node.lineno}")
            if isinstance(node, ast.Call) and _name(node.func) in VALIDATORS:
                for kw in node.keywords:  # validate.Regexp(..., error="...")
                    text = _sample(kw.value) if kw.arg == "error" else None
                    if text is not None:
                        found.setdefault(text, f"{where}:{node.lineno}")
            if isinstance(node, ast.FunctionDef) and node.name in (
                "password_problem",
                "_http_error",
            ):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Return) and inner.value is not None:
                        text = _sample(inner.value)
                        if text is not None:
                            found.setdefault(text, f"{where}:{inner.lineno}")
                    if isinstance(inner, ast.Dict):  # _http_error's {status: message}
                        for value in inner.values:
                            text = _sample(value)
                            if text is not None:
                                found.setdefault(text, f"{where}:{inner.lineno}")
    return found


def _refusal_messages() -> dict[str, str]:
    """The reporter rules of `change_refusal`, as a REST write refuses with them
    (app/services/records.py capitalises them and ends them with a full stop)."""
    path = APP / "services" / "access.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "change_refusal":
            for inner in ast.walk(node):
                if isinstance(inner, ast.Return) and inner.value is not None:
                    value = inner.value
                    if isinstance(value, ast.JoinedStr):
                        continue  # "only a coordinator may {action}": the actions below
                    if isinstance(value, ast.BinOp):  # "only ... to " + str(status)
                        value = value.left
                        sample = (_sample(value) or "") + "x"
                    else:
                        sample = _sample(value) or ""
                    if sample:
                        found[sample[0].upper() + sample[1:] + "."] = f"access.py:{inner.lineno}"
            # `if change.action in ("resolve", ...): return f"..."`: that f-string's actions.
            for inner in ast.walk(node):
                test = inner.test if isinstance(inner, ast.If) else None
                if (
                    isinstance(test, ast.Compare)
                    and ast.unparse(test.left) == "change.action"
                    and isinstance(test.comparators[0], ast.Tuple)
                    and isinstance(getattr(inner.body[0], "value", None), ast.JoinedStr)
                ):
                    for element in test.comparators[0].elts:
                        action = str(ast.literal_eval(element)).replace("_", " ")
                        found[f"Only a coordinator may {action}."] = f"access.py:{inner.lineno}"
    assert "Only a coordinator may merge into." in found
    return found


def _schema_classes() -> list[type[Schema]]:
    for module in pkgutil.walk_packages([str(APP)], "app."):
        if module.name.startswith(("app.schemas", "app.api")):
            importlib.import_module(module.name)
    out: list[type[Schema]] = []
    todo = list(Schema.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("app."):
            out.append(cls)
    return out


_BAD_VALUES: list[Any] = [
    None,
    {},
    [],
    "zz",
    "x" * 20_000,
    10**30,
    -(10**30),
    True,
    1.5,
    ["zz", "zz"],
    [{}],
    {"zz": 1},
]


def _messages_of(error: ValidationError) -> Iterator[str]:
    def walk(value: Any) -> Iterator[str]:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for inner in value.values():
                yield from walk(inner)
        elif isinstance(value, list):
            for inner in value:
                yield from walk(inner)

    yield from walk(error.messages)


def _field_messages() -> dict[str, str]:
    """What the fields of our schemas (marshmallow's own messages included) answer to
    bad values: missing, null, wrong types, too long, out of range, unknown keys."""
    found: dict[str, str] = {}
    for cls in _schema_classes():
        try:
            schema = cls()
        except Exception:  # noqa: S112 - a schema needing arguments is built elsewhere
            continue
        for value in ([], "zz", {"zz_unknown_field": 1}):
            try:
                schema.load(value)
            except ValidationError as exc:
                for text in _messages_of(exc):
                    found.setdefault(text, cls.__name__)
            except Exception:  # noqa: S112 - a hook needing context: not a message
                continue
        for name, field in schema.fields.items():
            where = f"{cls.__name__}.{name}"
            for key in ("required", "null"):
                found.setdefault(field.make_error(key).messages[0], where)
            for value in _BAD_VALUES:
                try:
                    field.deserialize(value, name, {name: value})
                except ValidationError as exc:
                    for text in _messages_of(exc):
                        found.setdefault(text, where)
                except Exception:  # noqa: S112 - not a validation message
                    continue
    return found


def _all_messages() -> dict[str, str]:
    return {**_field_messages(), **_refusal_messages(), **_source_messages()}


def test_every_message_the_api_can_send_has_arabic():
    """Each literal error message in app/ (ApiError, error_response, exports' `_invalid`,
    bundle rejections, password rules, the REST refusal of the reporter rules, the record
    fields' own messages) and each message our schemas' fields answer to bad values has an
    Arabic translation. A new English message without one fails here, naming its line."""
    messages = _all_messages()
    assert len(messages) > 150  # the walk found the code's messages, not nothing
    missing = {text: where for text, where in messages.items() if arabic_for(text) is None}
    assert not missing, "\n".join(f"{w}: {t!r}" for t, w in sorted(missing.items()))


def test_the_walk_sees_the_messages_of_each_kind_of_source():
    """The collection above reaches each place messages come from (so a refactor that
    hides them from the walk cannot pass silently)."""
    messages = _all_messages()
    for expected in (
        "Unknown place.",  # ApiError
        "Send the body as application/json.",  # error_response in guards.py
        "A table holds one kind of record: choose one kind.",  # exports' _invalid
        "Rejected: the bundle's archive is damaged.",  # BundleRejected
        "Use at least x characters.",  # password_problem, an f-string
        "Only a coordinator may lower sensitivity.",  # change_refusal via REST
        "Not a number like 34.7231.",  # a record field's fail()
        "Missing data for required field.",  # marshmallow's own
        "Unknown field.",  # a schema refusing an unknown key
        "Use letters, digits and . _ @ - only.",  # validate.Regexp(error=...)
        "Not found.",  # _http_error's table
    ):
        assert expected in messages, expected


def test_translations_are_arabic_and_keep_their_placeholders():
    """Every Arabic entry is Arabic text, and a template's Arabic uses exactly the values
    its English names (a value dropped or misspelt would vanish from the message)."""
    for english, arabic in {**messages_ar.EXACT, **FIELD_MESSAGES}.items():
        assert ARABIC.search(arabic), english
    for english, arabic in all_templates().items():
        names = set(re.findall(r"\{(\w+)\}", english))
        assert names and names == set(re.findall(r"\{(\w+)\}", arabic)), english


def test_values_in_a_message_are_kept_with_arabic_commas():
    """Interpolated values (codes, numbers) come through unchanged inside the Arabic, lists
    with the Arabic comma; the longer template wins over a shorter one that also matches."""
    assert arabic_for("Not one of: killed, injured.") == "ليست من: killed، injured."
    assert arabic_for("Must be between 0 and 130.") == "يجب أن تكون القيمة بين 0 و130."
    assert arabic_for("Must be 'casualty'.") == "يجب أن تكون القيمة 'casualty'."
    assert arabic_for("A district cannot be inside a community.") == (
        "لا يمكن وضع منطقة داخل تجمع سكني."
    )
    assert arabic_for("Nothing like any message.") is None
    assert translate("Nothing like any message.", "ar") == "Nothing like any message."
    assert translate("Unknown place.", "en") == "Unknown place."


def test_field_trees_keep_their_names_and_shape():
    """Only reasons are translated: field names at every depth, list positions and
    non-text values stay as they were."""
    tree = {"memberships": {"0": {"team_id": ["Unknown."]}}, "n": [3], "items": ["Taken."]}
    assert translate_fields(tree, "ar") == {
        "memberships": {"0": {"team_id": ["غير معروف."]}},
        "n": [3],
        "items": ["مأخوذ."],
    }
    assert translate_fields(tree, "en") is tree


# --- through the API, on SQLite and PostgreSQL ----------------------------------------------


@pytest.fixture
def team(make_team):
    return make_team("Khaldiyeh council")


@pytest.fixture
def coordinator(login_as, team):
    return login_as("coordinator", team)


def _error(response: Any) -> dict[str, Any]:
    body = response.get_json()
    assert set(body) == {"error"}
    return body["error"]


def _both(client: Any, method: str, url: str, **kw: Any) -> tuple[Any, Any]:
    english = getattr(client, method)(url, **kw)
    arabic = getattr(client, method)(url, headers={"Accept-Language": "ar"}, **kw)
    return english, arabic


def _keys(tree: Any) -> Any:
    if isinstance(tree, dict):
        return {k: _keys(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_keys(v) for v in tree]
    return type(tree).__name__


def test_an_unknown_place_is_refused_in_arabic_for_an_arabic_request(coordinator):
    """The exports screen's refused export (place `nowhere`): the same 422, code and field
    for both languages; the message and the field's reason in the request's language."""
    query = {"kind": "casualty", "place": "nowhere", "check": 1}
    english, arabic = _both(coordinator, "get", "/api/v1/exports", query_string=query)
    assert english.status_code == arabic.status_code == 422
    en, ar = _error(english), _error(arabic)
    assert en["code"] == ar["code"] == "invalid"
    assert en["message"] == "Unknown place." and en["fields"] == {"place": ["Unknown place."]}
    assert ar["message"] == "مكان غير معروف." and ar["fields"] == {"place": ["مكان غير معروف."]}
    assert "Accept-Language" in arabic.headers["Vary"]


def test_record_validation_answers_in_arabic_with_the_same_fields(coordinator, team):
    """A record with a missing required field, a code outside its vocabulary, an unknown
    field and an impossible range: the same status, code and field tree in both
    languages, every reason Arabic in the Arabic answer."""
    body = {
        "kind": "incident",
        "team_id": team.id,
        "event_type": "no_such_type",
        "killed_min": 5,
        "killed_max": 2,
        "flavour": "mint",
    }
    english, arabic = _both(coordinator, "post", "/api/v1/records", json=body)
    assert english.status_code == arabic.status_code == 422
    en, ar = _error(english), _error(arabic)
    assert en["code"] == ar["code"]
    assert _keys(en["fields"]) == _keys(ar["fields"]) and "flavour" in en["fields"]
    assert en["message"] == "Some fields are not valid."
    assert ar["message"] == "بعض الحقول غير صالحة."
    assert en["fields"]["flavour"] == ["Unknown field."]
    assert ar["fields"]["flavour"] == ["حقل غير معروف."]
    for reasons in ar["fields"].values():
        for reason in reasons:
            assert ARABIC.search(reason), reason
    assert ar["fields"]["event_type"][0].startswith("ليست من: ")


def test_marshmallow_messages_of_other_endpoints_are_translated(login_as):
    """An admin's user form (marshmallow's own 'required' and 'not a boolean')."""
    admin = login_as(admin=True, username="root")
    english, arabic = _both(admin, "post", "/api/v1/users", json={"is_admin": "perhaps"})
    assert english.status_code == arabic.status_code == 422
    en, ar = _error(english), _error(arabic)
    assert set(en["fields"]) == set(ar["fields"]) == {"username", "is_admin"}
    assert en["fields"]["username"] == ["Missing data for required field."]
    assert ar["fields"]["username"] == ["هذا الحقل مطلوب."]
    assert ar["fields"]["is_admin"] == ["ليست قيمة صح أو خطأ صالحة."]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "Log in first."),
        ("en", "Log in first."),
        ("fr-FR,fr;q=0.9", "Log in first."),
        ("ar-SY,ar;q=0.9,en;q=0.5", "سجّل الدخول أولاً."),
        ("en;q=0.4,ar", "سجّل الدخول أولاً."),
    ],
)
def test_the_language_is_the_best_of_accept_language(client, header, expected):
    """English unless Accept-Language prefers Arabic (a regional tag counts as Arabic);
    the code stays `unauthenticated` whatever the language."""
    headers = {"Accept-Language": header} if header else {}
    response = client.get("/api/v1/records", headers=headers)
    assert response.status_code == 401
    assert _error(response) == {"code": "unauthenticated", "message": expected, "fields": {}}
