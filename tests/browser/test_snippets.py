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


def test_a_librarian_adds_edits_and_deletes_a_snippet_of_their_own_with_the_keyboard(
    desk: Desk, contexts: Any
) -> None:
    ben = log_in(contexts.new(), desk, "ben")
    patron = contexts.new().new_page()
    chat_id = start_chat(patron, desk, campus="south", name="Lee", question="A book from York?")
    pane = claim(ben, chat_id)
    box = pane.locator("textarea")
    opener = ben.get_by_role("button", name="My snippets")
    dialog = ben.get_by_role("dialog", name="My snippets")
    title = dialog.get_by_label("Title")
    text = dialog.get_by_label("Text")
    shortcut = dialog.get_by_label("Shortcut (optional)")
    status = dialog.locator(".my-snippets-status")

    opener.focus()
    ben.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    expect(title).to_be_focused()
    expect(dialog.get_by_text("You have no snippets of your own yet.")).to_be_visible()
    assert serious(ben, Axe()) == []

    # The server's error is shown beside its field, which takes the keyboard.
    ben.keyboard.type("ILL")
    ben.keyboard.press("Tab")
    ben.keyboard.type("Try interlibrary loan at {campus}, {patron_name}.")
    ben.keyboard.press("Tab")
    expect(shortcut).to_be_focused()
    ben.keyboard.type("two words")
    ben.keyboard.press("Enter")
    error = dialog.locator("#my-snippet-shortcut-error")
    expect(error).to_have_text(
        "A shortcut is 1 to 30 lower-case letters, digits and hyphens, not 'two words'."
    )
    expect(shortcut).to_be_focused()
    expect(shortcut).to_have_attribute("aria-invalid", "true")
    assert "my-snippet-shortcut-error" in (shortcut.get_attribute("aria-describedby") or "")
    assert serious(ben, Axe()) == []

    shortcut.fill("")
    ben.keyboard.type("/ill")
    ben.keyboard.press("Enter")
    expect(status).to_have_text('Added "ILL".')
    expect(error).to_be_hidden()
    expect(dialog.locator(".my-snippets-list li")).to_have_count(1)
    expect(dialog.locator(".my-snippets-list li")).to_contain_text("ILL /ill")
    expect(title).to_be_focused()
    ben.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()

    # It is in the "/" list at once, and inserts with the chat's values.
    box.fill("")
    box.press_sequentially("/ill")
    listbox = pane.get_by_role("listbox", name="Snippets")
    expect(listbox.get_by_role("option")).to_have_count(1)
    expect(listbox.get_by_role("option")).to_have_text("ILL /ill")
    box.press("Enter")
    expect(box).to_have_value("Try interlibrary loan at South Campus Library, Lee.")

    # Edit: to the row's Edit button by Tab, new words, saved with Enter.
    opener.focus()
    ben.keyboard.press("Enter")
    expect(title).to_be_focused()
    edit = dialog.get_by_role("button", name='Edit "ILL"')
    for _ in range(3):
        ben.keyboard.press("Shift+Tab")
        if edit.evaluate("el => el === document.activeElement"):
            break
    expect(edit).to_be_focused()
    ben.keyboard.press("Enter")
    expect(dialog.get_by_role("heading", name='Edit "ILL"')).to_be_visible()
    expect(title).to_be_focused()
    expect(text).to_have_value("Try interlibrary loan at {campus}, {patron_name}.")
    text.fill("Ask for it through interlibrary loan, {patron_name}.")
    title.press("Enter")
    expect(status).to_have_text('Saved "ILL".')
    expect(edit).to_be_focused()
    mine = ben.evaluate(
        "() => window.refdeskConsole.state.snippets"
        ".filter(s => s.mine).map(s => [s.title, s.body, s.shortcut])"
    )
    assert mine == [["ILL", "Ask for it through interlibrary loan, {patron_name}.", "ill"]]

    # Delete: asked first (Keep has the keyboard), then gone from the list and the menu.
    ben.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name='Delete "ILL"')).to_be_focused()
    ben.keyboard.press("Enter")
    expect(dialog.get_by_text('Delete "ILL"?')).to_be_visible()
    expect(dialog.get_by_role("button", name="Keep")).to_be_focused()
    ben.keyboard.press("Shift+Tab")
    ben.keyboard.press("Enter")
    expect(status).to_have_text('Deleted "ILL".')
    expect(dialog.get_by_text("You have no snippets of your own yet.")).to_be_visible()
    expect(title).to_be_focused()
    ben.keyboard.press("Escape")
    expect(opener).to_be_focused()
    box.fill("")
    box.press_sequentially("/ill")
    expect(listbox.get_by_role("option")).to_have_count(0)
    expect(
        pane.locator(".visually-hidden[aria-live]").filter(has_text="No snippets match")
    ).to_have_count(1)
    box.press("Escape")


def test_a_snippet_the_admin_adds_or_deletes_reaches_an_open_console_without_a_reload(
    desk: Desk, contexts: Any
) -> None:
    cai = log_in(contexts.new(), desk, "cai")
    patron = contexts.new().new_page()
    chat_id = start_chat(patron, desk, campus="downtown", name="Mo", question="Renewals?")
    pane = claim(cai, chat_id)
    box = pane.locator("textarea")
    listbox = pane.get_by_role("listbox", name="Snippets")
    admin = log_in(contexts.new(), desk, "admin")
    admin.goto(f"{desk.url}/admin/snippets/snippet/add/")
    admin.locator("#id_title").fill("Renewals")
    admin.locator("#id_body").fill("You can renew at {campus}'s desk, {patron_name}.")
    admin.locator("#id_shortcut").fill("renew")
    admin.locator("input[name=_save]").click()
    expect(admin.locator(".messagelist")).to_contain_text("Renewals")

    box.fill("")
    box.press_sequentially("/renew")
    expect(listbox.get_by_role("option")).to_have_text(["Renewals /renew"])
    box.press("Enter")
    expect(box).to_have_value("You can renew at Downtown Library's desk, Mo.")

    admin.locator("#result_list").get_by_role("link", name="Renewals").click()
    admin.get_by_role("link", name="Delete").click()
    admin.locator("input[type=submit]").click()
    expect(admin.locator(".messagelist")).to_contain_text("Renewals")
    box.fill("")
    box.press_sequentially("/renew")
    expect(listbox.get_by_role("option")).to_have_count(0)
    box.press("Escape")
