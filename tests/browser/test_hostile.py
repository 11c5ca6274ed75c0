"""Hostile text in every field a patron or librarian can fill shows as text on both sides."""

from __future__ import annotations

import pytest

from tests.browser.support import (
    Contexts,
    Desk,
    claim,
    end_from_console,
    expect,
    log_in,
    patron_details,
    queue_item,
    send_from_console,
    send_from_patron,
    submit_prechat,
)

pytestmark = pytest.mark.browser

NAME = "Eve <b>Hacker</b>"
QUESTION = "<script>alert('q')</script><svg onload=alert(2)>why?</svg>"
PATRON_LINE = "<b onmouseover=alert(3)>bold</b> javascript:alert(4) <iframe src=//evil>"
LIBRARIAN_LINE = '<a href="javascript:alert(5)">click</a> <style>body{display:none}</style>'
SQLISH = "'; DROP TABLE chats_message; -- \" OR 1=1"
PAGE = "javascript:alert(6)"


def no_injected_elements(page: object, root: str) -> None:
    count = page.eval_on_selector_all(  # type: ignore[attr-defined]
        f"{root} script, {root} img, {root} svg, {root} iframe, {root} style, {root} b, "
        f'{root} a[href^="javascript"]',
        "nodes => nodes.length",
    )
    assert count == 0, f"{count} elements were made from text in {root}"


def test_html_script_svg_and_sql_looking_text_in_every_field_shows_as_text(
    desk: Desk, contexts: Contexts
) -> None:
    ben = log_in(contexts.new(), desk, "ben")
    patron = contexts.new(phone=True).new_page()
    patron.goto(f"{desk.url}/ask/south/?from={PAGE}")
    patron.fill("#email", "eve@example.edu")
    chat_id = submit_prechat(patron, patron, name=NAME, question=QUESTION)

    item = queue_item(ben, chat_id)
    expect(item.locator(".patron-name")).to_have_text(NAME)
    expect(item.locator(".excerpt")).to_have_text(QUESTION)
    item.locator(".patron-name").click()
    details = patron_details(ben)
    assert details["Name"] == NAME
    assert details["Question"] == QUESTION
    assert details["Email"] == "eve@example.edu"
    # The javascript: address is dropped; the ask page itself, without its query, is kept.
    assert details["Came from"] == f"{desk.url}/ask/south/"
    no_injected_elements(ben, "#queue")
    no_injected_elements(ben, "#patron-panel")

    pane = claim(ben, chat_id)
    send_from_console(pane, LIBRARIAN_LINE)
    send_from_console(pane, SQLISH)
    send_from_patron(patron, PATRON_LINE)
    expect(pane.locator(".message.from-patron .body").last).to_have_text(PATRON_LINE)
    expect(patron.locator("#messages .message.from-librarian .body").nth(0)).to_have_text(
        LIBRARIAN_LINE
    )
    expect(patron.locator("#messages .message.from-librarian .body").nth(1)).to_have_text(SQLISH)
    expect(ben.locator(f"#tab-{chat_id}")).to_contain_text(NAME)
    no_injected_elements(ben, "#panes")
    no_injected_elements(ben, "#tabs")
    no_injected_elements(patron, "#messages")
    # The page is still whole: no style from a message hid it.
    expect(patron.locator("#composer")).to_be_visible()
    end_from_console(pane)
