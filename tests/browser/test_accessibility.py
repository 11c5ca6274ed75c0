"""axe-core finds nothing serious or critical on the pages patrons and librarians use.

Each page's full axe result goes to test-artifacts/axe/<page>.json.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.support import (
    ARTIFACTS,
    Contexts,
    Desk,
    claim,
    expect,
    flood_queue,
    log_in,
    queue_item,
    save_screenshot,
    send_from_console,
    send_from_patron,
    start_chat,
)

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}


def audit(page: Any, name: str, axe: Axe) -> list[str]:
    """Run axe on the page (and its frames); save the result; list blocking violations."""
    # axe follows frames (the widget's) only where it is loaded too.
    for frame in page.frames:
        frame.evaluate(axe.axe_script)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    folder = ARTIFACTS / "axe"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    return [
        f"{name} ({page.url}): {violation['id']} [{violation['impact']}] "
        f"{violation['help']}: "
        + "; ".join(
            f"{' > '.join(map(str, node['target']))} — {node.get('failureSummary', '')}"
            for node in violation["nodes"]
        )
        for violation in result["violations"]
        if violation["impact"] in BLOCKING
    ]


def test_axe_finds_nothing_serious_on_the_patron_and_librarian_pages(
    desk: Desk, contexts: Contexts
) -> None:
    axe = Axe()
    problems: list[str] = []

    # A librarian is online, so the ask pages show their forms; one chat waits in the
    # queue and one is claimed.
    console = log_in(contexts.new(), desk, "dee")
    waiting_patron = contexts.new(phone=True).new_page()
    waiting_id = start_chat(
        waiting_patron,
        desk,
        campus="downtown",
        name="Ida Waiting",
        question="Do you lend laptops overnight?",
    )
    chatting = contexts.new(phone=True).new_page()
    claimed_id = start_chat(
        chatting, desk, name="Omar Claimed", question="How do I cite a dataset in APA?"
    )
    pane = claim(console, claimed_id)
    send_from_console(pane, "Hi Omar, APA has a page on it: https://apastyle.apa.org/")
    send_from_patron(chatting, "Great, thank you!")
    expect(queue_item(console, waiting_id).locator(".claim")).to_be_visible()
    queue_item(console, claimed_id).locator(".patron-name").click()
    expect(console.locator("#patron-panel")).to_be_visible()
    save_screenshot(console, "console.png")
    problems += audit(console, "console", axe)
    problems += audit(chatting, "ask-chat", axe)

    visitor = contexts.new().new_page()
    for name, path in (("home", "/"), ("login", "/accounts/login/")):
        visitor.goto(f"{desk.url}{path}")
        problems += audit(visitor, name, axe)

    phone = contexts.new(phone=True).new_page()
    phone.goto(f"{desk.url}/ask/north/")
    expect(phone.locator("#prechat")).to_be_visible()
    problems += audit(phone, "ask", axe)
    phone.goto(f"{desk.url}/ask/north/?embed=1")
    expect(phone.locator("#prechat")).to_be_visible()
    problems += audit(phone, "ask-embedded", axe)
    phone.goto(f"{desk.url}/example/north/")
    phone.locator("div[data-refdesk] .launcher").click()
    frame = phone.frame_locator("div[data-refdesk] iframe")
    expect(frame.locator("#prechat")).to_be_visible()
    problems += audit(phone, "example-widget-open", axe)

    assert not problems, "axe found serious or critical violations:\n" + "\n".join(problems)

    # Leave the shared desk as we found it.
    waiting_patron.get_by_role("button", name="Leave chat").click()
    expect(waiting_patron.locator("#new-chat")).to_be_visible()
    chatting.get_by_role("button", name="Leave chat").click()
    expect(pane.locator(".ended-note")).to_have_text("Patron left.")


def test_axe_finds_nothing_serious_on_the_offline_ticket_form_or_the_ticket_list(
    desk: Desk, contexts: Contexts
) -> None:
    axe = Axe()
    problems: list[str] = []
    console = log_in(contexts.new(), desk, "dee")

    # Librarians are online on the shared desk: the page is told that nobody is.
    patron = contexts.new(phone=True).new_page()
    patron.route(
        "**/api/campuses",
        lambda route: route.fulfill(
            json={"campuses": [{"slug": "north", "online": False, "hours_today": "8am–10pm"}]}
        ),
    )
    for name, path in (
        ("ask-offline", "/ask/north/"),
        ("ask-offline-embedded", "/ask/north/?embed=1"),
    ):
        patron.goto(f"{desk.url}{path}")
        expect(patron.locator("#ticket")).to_be_visible()
        # The header and the panel both say the hours the desk just gave.
        expect(patron.locator(".ask-header")).to_contain_text("Hours today: 8am–10pm")
        expect(patron.locator("#offline")).to_contain_text("Hours today: 8am–10pm.")
        problems += audit(patron, name, axe)

    patron.get_by_role("button", name="Send question").click()
    expect(patron.locator("#ticket-question-error")).to_be_visible()
    problems += audit(patron, "ask-offline-errors", axe)

    patron.locator("#ticket-name").fill("Ada Offline")
    patron.locator("#ticket-email").fill("ada@example.edu")
    patron.locator("#ticket-question").fill("Could you email me the interlibrary loan form?")
    with patron.expect_response(lambda r: r.url.endswith("/api/tickets")) as answered:
        patron.get_by_role("button", name="Send question").click()
    ticket_id = answered.value.json()["ticket_id"]
    expect(patron.locator("#ticket-done")).to_be_visible()
    save_screenshot(patron, "ask-offline-sent.png")
    problems += audit(patron, "ask-offline-sent", axe)

    expect(console.locator(f'#tickets .ticket-item[data-ticket-id="{ticket_id}"]')).to_be_visible()
    problems += audit(console, "console-tickets", axe)

    assert not problems, "axe found serious or critical violations:\n" + "\n".join(problems)


def test_axe_finds_nothing_serious_on_a_flooded_console_with_the_supervisor_s_tools(
    flood_desk: Desk, contexts: Contexts
) -> None:
    flood_queue(flood_desk, 150)
    flood_queue(flood_desk, 120, kind="ticket")
    dee = log_in(contexts.new(), flood_desk, "dee")
    expect(dee.get_by_role("button", name="Show older chats (50 more)")).to_be_visible()
    expect(dee.get_by_role("button", name="Show older tickets (20 more)")).to_be_visible()
    dee.locator("#queue .select-chat").first.check()
    dee.get_by_role("button", name="Dismiss selected as spam (1)").click()
    expect(dee.get_by_role("button", name="Dismiss 1 chat", exact=True)).to_be_focused()
    save_screenshot(dee, "console-flooded.png")
    problems = audit(dee, "console-flooded", Axe())
    phone = log_in(contexts.new(phone=True), flood_desk, "dee")
    expect(phone.get_by_role("button", name="Show older chats (50 more)")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    problems += audit(phone, "console-flooded-phone", Axe())
    assert not problems, "axe found serious or critical violations:\n" + "\n".join(problems)
