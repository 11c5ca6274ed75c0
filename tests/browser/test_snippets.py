"""Snippets in the console: "/gre" and Enter put the greeting, with the patron's name, into
the composer, which sends it; axe finds nothing serious with the list open; the composer's
JavaScript renders the placeholder table exactly as the server does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.support import Desk, claim, expect, log_in, start_chat

pytestmark = pytest.mark.browser

TABLE = json.loads(
    (Path(__file__).parents[1] / "snippets" / "placeholders.json").read_text(encoding="utf-8")
)
GREETING = "Hi Sam, I'm Ana. I'm looking at your question now."


def serious(page: Any, axe: Axe) -> list[str]:
    page.evaluate(axe.axe_script)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']}: {v['help']}"
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def test_a_librarian_inserts_the_greeting_with_slash_and_enter_and_sends_it(
    desk: Desk, contexts: Any
) -> None:
    ana = log_in(contexts.new(), desk, "ana")
    patron = contexts.new().new_page()
    chat_id = start_chat(patron, desk, campus="north", name="Sam", question="APA guides?")
    pane = claim(ana, chat_id)
    box = pane.locator("textarea")
    box.fill("")
    box.press_sequentially("/gre")
    listbox = pane.get_by_role("listbox", name="Snippets")
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(listbox.get_by_role("option").first).to_contain_text("Greeting by name")
    expect(listbox.get_by_role("option").first).to_have_attribute("aria-selected", "true")
    assert serious(ana, Axe()) == []
    box.press("Enter")
    expect(listbox).to_be_hidden()
    # Inserted, not sent: it waits in the composer for editing.
    expect(box).to_have_value(GREETING)
    expect(pane.locator(".messages .message.from-librarian")).to_have_count(0)
    box.press("Enter")
    expect(patron.locator("#messages .message.from-librarian .body").last).to_have_text(GREETING)
    # Escape closes the list and leaves what was typed.
    box.press_sequentially("/st")
    expect(listbox).to_be_visible()
    box.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_value("/st")


def test_the_composer_renders_the_placeholder_table_as_the_server_does(
    desk: Desk, contexts: Any
) -> None:
    ana = log_in(contexts.new(), desk, "ana")
    rendered = ana.evaluate(
        """async (table) => {
          const rules = await import("/static/refdesk/js/console/snippetrules.js");
          return table.cases.map((c) => rules.renderSnippet(
            c.body, Object.fromEntries(c.known.map((k) => [k, table.values[k]]))));
        }""",
        TABLE,
    )
    assert rendered == [case["expected"] for case in TABLE["cases"]]
