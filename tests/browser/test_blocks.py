"""Blocking from the console: a librarian claims a chat, blocks its patron from the chat's
Block patron dialog, and the patron's reload of the ask page shows only the neutral
notice; a supervisor lifts the block from the blocks page and the form is back. Axe finds
nothing serious in the dialogs or on the supervisors' pages.

The desk is shared by the package's tests and every patron here comes from 127.0.0.1, so
the test lifts its block before it ends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.support import Desk, claim, expect, log_in, start_chat, start_desk, stop_desk

pytestmark = pytest.mark.browser

NOTICE = "The chat service isn't available to you right now."
ANY_NOTICE = (
    "The chat service isn't available to you right now. You can still reach the library "
    "by phone, by email or at the desk."
)


def serious(page: Any) -> list[str]:
    axe = Axe()
    page.evaluate(axe.axe_script)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']}: {v['help']}"
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def test_a_librarian_blocks_from_the_dialog_and_the_patron_sees_only_a_neutral_notice(
    desk: Desk, contexts: Any
) -> None:
    ana = log_in(contexts.new(), desk, "ana")
    dee = log_in(contexts.new(), desk, "dee")
    patron = contexts.new().new_page()
    chat_id = start_chat(patron, desk, campus="north", name="Sam", question="You are useless")
    pane = claim(ana, chat_id)

    # The incident dialog: keyboard-usable, labelled, and it reaches the supervisor.
    pane.get_by_role("button", name="Report incident…").click()
    incident = ana.get_by_role("dialog", name="Report incident")
    expect(incident).to_be_visible()
    expect(ana.get_by_label("What happened")).to_be_focused()
    assert serious(ana) == []
    ana.get_by_label("Kind").select_option("threat")
    ana.get_by_label("What happened").fill("<b>Threats</b> after two warnings")
    ana.get_by_label("Actions taken").fill("Warned twice, then blocked.")
    incident.get_by_role("button", name="Report incident").click()
    expect(ana.locator("#incident-result")).to_contain_text("reported")
    expect(dee.locator("#incident-notices")).to_contain_text("New threat report by Ana")
    ana.keyboard.press("Escape")
    expect(incident).to_be_hidden()

    pane.get_by_role("button", name="Block patron…").click()
    dialog = ana.get_by_role("dialog", name="Block patron")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("An address may be a shared library computer")
    expect(ana.get_by_label("Reason (for staff only)")).to_be_focused()
    assert serious(ana) == []
    # A reason is required: the browser asks for it before anything is sent.
    dialog.get_by_role("button", name="Block patron").click()
    expect(ana.locator("#block-result")).to_have_text("")
    expect(dialog).to_be_visible()
    ana.get_by_label("Reason (for staff only)").fill("Abusive after two warnings")
    dialog.get_by_label("7 days").check()
    dialog.get_by_role("button", name="Block patron").click()
    expect(ana.locator("#block-result")).to_contain_text("Blocked until")
    ana.keyboard.press("Escape")

    # The patron's chat ends without a word about a block.
    expect(patron.locator("#status")).to_have_text("The chat has ended.")
    expect(patron.locator("body")).not_to_contain_text("block", ignore_case=True)
    patron.reload()
    expect(patron.locator("#unavailable")).to_contain_text(NOTICE)
    expect(patron.locator("#prechat")).to_be_hidden()
    expect(patron.locator("body")).not_to_contain_text("block", ignore_case=True)
    assert serious(patron) == []

    # The supervisor's pages: the incident, then the block, lifted with a note.
    dee.get_by_role("link", name="Incidents").click()
    expect(dee.get_by_role("heading", name="Incidents")).to_be_visible()
    assert serious(dee) == []
    dee.locator(".safety-table a").first.click()
    expect(dee.locator("body")).to_contain_text("<b>Threats</b> after two warnings")
    assert serious(dee) == []
    dee.get_by_label("Closing note").fill("Security informed")
    dee.get_by_role("button", name="Close incident").click()
    expect(dee.get_by_role("status")).to_contain_text("Incident closed.")

    dee.goto(f"{desk.url}/console/safety/blocks/")
    expect(dee.locator("body")).to_contain_text("Abusive after two warnings")
    assert serious(dee) == []
    note = dee.get_by_label("Why lift block").first
    note.fill("Test over")
    note.press("Enter")
    expect(dee.get_by_role("status")).to_contain_text("lifted")

    patron.reload()
    expect(patron.locator("#prechat")).to_be_visible()
    expect(patron.locator("#unavailable")).to_be_hidden()


@pytest.fixture
def proxied_desk(tmp_path: Any) -> Iterator[Desk]:
    """A desk of the test's own behind a (pretend) proxy: the patron's address is the
    X-Forwarded-For that each browser context sends."""
    served = start_desk(
        tmp_path / "proxied-desk",
        settings={"REFDESK_TRUST_X_FORWARDED_FOR": "1"},
        demo_tickets=False,
    )
    yield served
    stop_desk(served)


def test_a_browser_blocked_on_another_address_sees_the_notice_as_the_page_loads(
    proxied_desk: Desk, contexts: Any
) -> None:
    desk = proxied_desk
    ana = log_in(contexts.new(), desk, "ana")
    patron_context = contexts.new(extra_http_headers={"X-Forwarded-For": "198.51.100.7"})
    patron = patron_context.new_page()
    chat_id = start_chat(patron, desk, campus="north", name="Sam", question="You are useless")
    pane = claim(ana, chat_id)
    pane.get_by_role("button", name="Block patron…").click()
    dialog = ana.get_by_role("dialog", name="Block patron")
    ana.get_by_label("Reason (for staff only)").fill("Abusive after two warnings")
    dialog.get_by_role("button", name="Block patron").click()
    expect(ana.locator("#block-result")).to_contain_text("Blocked until")
    expect(patron.locator("#status")).to_have_text("The chat has ended.")

    # The same browser off the campus wifi: the page's address is not blocked, so the
    # server renders the form; the script asks with the browser's id and shows the notice.
    patron_context.set_extra_http_headers({"X-Forwarded-For": "203.0.113.9"})
    with patron.expect_response(lambda r: r.url.endswith("/api/chats/status")) as asked:
        patron.reload()
    assert asked.value.json() == {"available": False, "message": ANY_NOTICE}
    expect(patron.locator("#unavailable")).to_contain_text(NOTICE)
    expect(patron.locator("#prechat")).to_be_hidden()
    expect(patron.locator("body")).not_to_contain_text("block", ignore_case=True)
    assert serious(patron) == []

    # Another browser on that address: the form.
    other = contexts.new(extra_http_headers={"X-Forwarded-For": "203.0.113.9"}).new_page()
    with other.expect_response(lambda r: r.url.endswith("/api/chats/status")) as asked:
        other.goto(f"{desk.url}/ask/north/")
    assert asked.value.json() == {"available": True}
    expect(other.locator("#prechat")).to_be_visible()
    expect(other.locator("#unavailable")).to_be_hidden()
