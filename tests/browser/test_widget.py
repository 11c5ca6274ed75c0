"""The widget a campus page embeds with one tag: it leaves the page alone and chats in a frame."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.support import (
    PHONE,
    Contexts,
    Desk,
    claim,
    expect,
    log_in,
    patron_details,
    save_screenshot,
    send_from_console,
    send_from_patron,
    submit_prechat,
)

pytestmark = pytest.mark.browser

HOST_ELEMENTS = ("body", "h1", ".campus-banner", "main p", "main a")
STYLE_PROPERTIES = (
    "font-family",
    "font-size",
    "font-weight",
    "line-height",
    "color",
    "background-color",
    "margin-top",
    "padding-left",
)


def host_styles(page: Any) -> dict[str, dict[str, str]]:
    return page.evaluate(
        """([selectors, properties]) => Object.fromEntries(selectors.map((selector) => {
            const style = getComputedStyle(document.querySelector(selector));
            const values = properties.map((p) => [p, style.getPropertyValue(p)]);
            return [selector, Object.fromEntries(values)];
        }))""",
        [list(HOST_ELEMENTS), list(STYLE_PROPERTIES)],
    )


def test_the_widget_leaves_the_campus_page_alone_and_chats_in_a_frame_on_a_phone(
    desk: Desk, contexts: Contexts
) -> None:
    ana = log_in(contexts.new(), desk, "ana")
    page = contexts.new(phone=True).new_page()
    example = f"{desk.url}/example/north/"

    # The campus page's own look, without the widget...
    page.route("**/widget.js", lambda route: route.abort())
    page.goto(example)
    without_widget = host_styles(page)
    assert "Georgia" in without_widget["body"]["font-family"]
    page.unroute("**/widget.js")

    # ...is the same with it, closed and open.
    page.goto(example)
    launcher = page.locator("div[data-refdesk] .launcher")
    expect(launcher).to_be_visible()
    expect(launcher).to_have_text("Ask a librarian")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    assert host_styles(page) == without_widget

    launcher.click()
    panel = page.locator("div[data-refdesk] .panel")
    expect(panel).to_be_visible()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    frame_element = page.locator("div[data-refdesk] iframe")
    expect(frame_element).to_have_attribute("title", "Ask a librarian")
    frame = page.frame_locator("div[data-refdesk] iframe")
    expect(frame.locator("h1")).to_have_text("Ask North Campus Library")
    assert host_styles(page) == without_widget

    # The panel fits the phone's width.
    box = frame_element.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"]
    assert box["width"] >= PHONE["width"] - 32
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The chat works inside the frame.
    chat_id = submit_prechat(page, frame, name="Wren Widget", question="Can I print from my phone?")
    pane = claim(ana, chat_id)
    ana.locator(f'.queue-item[data-chat-id="{chat_id}"] .patron-name').click()
    assert patron_details(ana)["Came from"] == example
    expect(frame.locator("#status")).to_contain_text("Ana has joined")
    send_from_console(pane, "Yes: https://library.example.edu/north/print has the steps.")
    expect(frame.locator("#messages .message.from-librarian .body a")).to_have_attribute(
        "href", "https://library.example.edu/north/print"
    )
    send_from_patron(frame, "Thanks, trying it now.")
    expect(pane.locator(".messages .message.from-patron .body").last).to_have_text(
        "Thanks, trying it now."
    )
    expect(frame.locator("#composer")).to_be_in_viewport()
    save_screenshot(page, "widget-open.png")

    # Escape inside the frame closes the widget and gives the focus back to the launcher.
    frame.locator("#body").focus()
    frame.locator("#body").press("Escape")
    expect(panel).to_be_hidden()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    expect(launcher).to_be_focused()

    # Reopened, the same chat is still there; Escape on the panel's own close button works too.
    launcher.click()
    expect(panel).to_be_visible()
    expect(frame.locator("#messages .message.from-patron .body").last).to_have_text(
        "Thanks, trying it now."
    )
    page.locator("div[data-refdesk] .close").focus()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    assert host_styles(page) == without_widget

    launcher.click()
    frame.get_by_role("button", name="Leave chat").click()
    expect(pane.locator(".ended-note")).to_have_text("Patron left.")
