"""Refusals read in the app's language, in a real browser whose own language is English:
the server's answer to the exports screen comes in Arabic when the app is in Arabic (and in
English again after switching back), and a change the hub parked shows its reason in
Arabic in the device's problems list while the hub keeps it in English."""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

from browser.harness import Hub

from app.api.language import arabic_for
from app.services import access, changelog, sync_push

ARABIC_UNKNOWN_PLACE = "مكان غير معروف."


def _refused_export(page: Any, place: str) -> str:
    page.fill("#export-place", place)
    page.eval_on_selector("#export-error", "el => { el.textContent = ''; }")
    page.click("#export-download")
    page.wait_for_function("() => document.querySelector('#export-error').textContent !== ''")
    return str(page.text_content("#export-error"))


def test_exports_refusal_follows_the_apps_language(devices: Any, live: Hub) -> None:
    """The browser prefers English (locale en-US); the app switched to Arabic asks the
    server in Arabic, so the refused export (place `nowhere`) reads "مكان غير معروف.";
    back in English it reads "Unknown place." again."""
    coordinator = live.user(live.team(), "coordinator")
    phone = devices(coordinator)
    phone.setup()
    page = phone.page
    assert page.evaluate("() => navigator.language") == "en-US"
    page.click("#lang")
    page.wait_for_function("() => document.documentElement.lang === 'ar'")
    page.wait_for_selector("#nav a[data-screen=exports]")
    page.click("#nav a[data-screen=exports]")
    page.wait_for_selector("#export-form")
    page.select_option("#export-kind", "casualty")
    assert _refused_export(page, "nowhere") == ARABIC_UNKNOWN_PLACE

    page.click("#lang")
    page.wait_for_function("() => document.documentElement.lang === 'en'")
    page.wait_for_selector("#export-form")
    page.select_option("#export-kind", "casualty")
    assert _refused_export(page, "nowhere") == "Unknown place."


def test_parked_change_reason_shows_in_arabic(devices: Any, live: Hub) -> None:
    """A reporter's change with a cause outside its vocabulary is parked: the hub's reason
    stays English on the device (what it compares), and the problems list shows it in
    Arabic, the field name kept and the field's own message in Arabic, the English as
    the tooltip."""
    user = live.user(live.team())
    phone = devices(user)
    phone.setup()
    page = phone.page
    page.click("#lang")
    page.wait_for_function("() => document.documentElement.lang === 'ar'")
    phone.context.set_offline(True)
    phone.eval(
        "() => tawthiq.createRecord('casualty', {full_name: 'خطأ', sex: 'male',"
        " outcome: 'killed', civilian_status: 'civilian', cause: 'not_a_cause'})"
    )
    phone.context.set_offline(False)
    page.wait_for_function("() => tawthiq.replica.refused === 1")
    english = phone.eval("() => tawthiq.refusedChanges()")[0]["reason"]
    assert english.startswith("invalid values: cause: Not one of: ")
    page.click("#refused summary")
    reason = page.wait_for_selector("#refused li .reason")
    shown = reason.text_content()
    assert shown.startswith("قيم غير صالحة: cause: ليست من: "), shown
    assert "، " in shown and "Not one of" not in shown
    assert reason.get_attribute("title") == english
    assert not phone.errors, phone.errors


def _wire_reasons() -> list[str]:
    """The hub's fixed reasons: the literal returns of `change_refusal` and of the push
    checker, the record the hub does not know, and the change log's id collision."""
    found = [sync_push.UNKNOWN_RECORD]
    for function in (access.change_refusal, sync_push._Checker.check):
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
        for node in ast.walk(tree):
            value = node.value if isinstance(node, ast.Return) else None
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.append(value.value)
    source = inspect.getsource(changelog)
    found.append("this op_id is held with other content")
    assert found[-1] in source  # the change log still says it so
    return found


def test_every_fixed_hub_reason_has_arabic(devices: Any, live: Hub) -> None:
    """Each reason the hub can park a change with, as the device receives it, reads in
    Arabic (the actions and values it quotes too); English stays English."""
    user = live.user(live.team())
    phone = devices(user)
    phone.open()
    page = phone.page
    samples = [
        *_wire_reasons(),
        *(f"only a coordinator may {a}" for a in ("resolve", "merge into", "purge", "undelete")),
        "only a coordinator may set verification to confirmed",
        "unknown record kind 'dog'",
    ]
    assert len(samples) > 12
    answers = page.evaluate(
        """async (samples) => {
          const { reasonText } = await import('/static/js/reasons.js');
          return samples.map((s) => [s, reasonText('ar', s, null), reasonText('en', s, null)]);
        }""",
        samples,
    )
    untranslated = [
        s for s, ar, _ in answers if ar == s or not any("\u0600" <= c <= "\u06ff" for c in ar)
    ]
    assert not untranslated, untranslated
    assert all(en == s for s, _, en in answers)
    # A reporter rule refused over REST (capitalised, with a full stop) reads the same as
    # when it comes back from a push: one wording for both.
    for english, arabic, _ in answers:
        rest = arabic_for(english[0].upper() + english[1:] + ".")
        if rest is not None:
            assert rest == arabic + ".", english
