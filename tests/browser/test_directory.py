"""The directory in the console: searched from its dialog with the keyboard alone, a
chat's campus panel listing that campus's contacts, a change reaching an open console, and
axe on the open dialog."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.support import (
    Contexts,
    Desk,
    claim,
    end_from_console,
    expect,
    log_in,
    save_screenshot,
    start_chat,
)
from tests.browser.test_accessibility import audit

pytestmark = pytest.mark.browser

SOUTH_CONTACTS = [
    "South Counselling Centre",
    "South Campus Security",
    "South IT Help Desk",
    "South Accessibility Services",
    "South Writing Centre",
]


def test_the_directory_is_searched_from_its_dialog_by_keyboard_alone(
    desk: Desk, contexts: Contexts
) -> None:
    console = log_in(contexts.new(), desk, "ana")
    dialog = console.locator("#directory")
    search = console.locator("#directory-search")
    count = console.locator("#directory-count")

    console.keyboard.press("Alt+K")
    expect(dialog).to_be_visible()
    expect(search).to_be_focused()
    expect(count).to_have_text("19 contacts and 5 courses.")
    expect(count).to_have_attribute("aria-live", "polite")

    console.keyboard.type("couns")
    expect(console.locator("#directory-contacts .dir-name strong")).to_have_text(
        ["North Counselling Centre", "South Counselling Centre", "Downtown Counselling Centre"]
    )
    # A course whose why speaks of a counsellor matches too.
    expect(count).to_have_text("3 contacts and 1 course match “couns”.")
    expect(console.locator("#directory-courses .dir-name a")).to_have_text(
        ["Psychological First Aid Online"]
    )

    # A campus's name narrows it; the phone is a tel: link, reached with Tab.
    search.fill("")
    console.keyboard.type("south counselling")
    expect(count).to_have_text("1 contact and no courses match “south counselling”.")
    expect(console.locator("#directory-courses-title")).to_be_hidden()
    console.keyboard.press("Tab")
    call = console.locator("#directory-contacts a").first
    expect(call).to_be_focused()
    expect(call).to_have_attribute("href", "tel:+15550124400")
    website = console.locator("#directory-contacts a[target=_blank]")
    expect(website).to_have_attribute("href", "https://www.example.edu/south/counselling")
    expect(website).to_have_attribute("rel", "noopener noreferrer")

    # Courses by why to take one; the national lines by their category.
    search.fill("")
    search.focus()
    console.keyboard.type("crisis")
    expect(console.locator("#directory-courses .dir-name a")).to_have_text(
        ["Psychological First Aid Online", "Mental Health First Aid"]
    )
    expect(console.locator("#directory-contacts .dir-name strong")).to_have_text(
        ["988 Suicide & Crisis Lifeline", "Crisis Text Line"]
    )
    course = console.locator("#directory-courses a").first
    expect(course).to_have_attribute("rel", "noopener noreferrer")
    search.fill("")
    console.keyboard.type("zzz nothing")
    expect(count).to_have_text("No contacts and no courses match “zzz nothing”.")

    # Escape closes it; the keyboard goes back where it was; the button opens it again.
    console.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    opener = console.locator("#directory-open")
    expect(opener).to_have_attribute("aria-keyshortcuts", "Alt+K")
    opener.focus()
    console.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    expect(search).to_be_focused()
    search.fill("")
    save_screenshot(console, "console-directory.png")
    problems = audit(console, "console-directory", Axe())
    assert not problems, "\n".join(problems)
    console.keyboard.press("Escape")
    expect(opener).to_be_focused()


def test_the_campus_panel_lists_the_chat_s_campus_contacts_and_follows_changes(
    desk: Desk, contexts: Contexts
) -> None:
    console = log_in(contexts.new(), desk, "ben")
    patron = contexts.new(phone=True).new_page()
    chat_id = start_chat(patron, desk, campus="south", name="Uma", question="Thesis help?")
    pane = claim(console, chat_id)
    contacts = pane.locator(".campus-panel .facts-contacts .dir-name strong")
    expect(contacts).to_have_text(SOUTH_CONTACTS)
    security = pane.locator('.facts-contacts .dir-contact[data-category="security"]')
    expect(security.locator(".dir-meta")).to_have_text(
        "Campus security · South Campus Library · 24/7"
    )
    expect(security.locator("a").first).to_have_attribute("href", "tel:+15550129111")

    # A change in the directory reaches the open panel without a reload: what the store
    # gets from directory.changed, with markup in a note kept as text.
    console.evaluate(
        """() => {
          const directory = window.refdeskConsole.state.directory;
          const contacts = directory.contacts.filter((c) => c.name !== "South Writing Centre");
          contacts.push({id: 999, name: "Peer Listening Line", role: "", campus: null,
            campus_name: null, category: "counselling", category_label: "Counselling",
            phone: "555-010-7777", email: "", link: "javascript:alert(1)", available: "",
            note: "<b>not bold</b>"});
          window.refdeskConsole.receive({type: "directory.changed", contacts,
            courses: directory.courses});
        }"""
    )
    expect(contacts).to_have_text(
        [
            "South Counselling Centre",
            "Peer Listening Line",
            "South Campus Security",
            "South IT Help Desk",
            "South Accessibility Services",
        ]
    )
    added = pane.locator('.facts-contacts .dir-contact[data-id="999"]')
    expect(added.locator(".dir-note")).to_have_text("<b>not bold</b>")
    expect(added.locator("a")).to_have_count(1)  # the phone; no link for javascript:
    end_from_console(pane)
