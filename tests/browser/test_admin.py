"""The admin in a browser: an admin sets a campus and a librarian up; the librarian sees
the campus in the console and patrons see it at /ask/<slug>/; axe finds nothing serious
on the admin's pages, and the Content-Security-Policy blocks nothing there."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.support import PASSWORD, Contexts, Desk, expect, log_in
from tests.browser.test_accessibility import audit

pytestmark = pytest.mark.browser


def admin_page(contexts: Contexts, desk: Desk, violations: list[str]) -> Any:
    page = contexts.new().new_page()
    # Violations are read before axe runs: axe's own injected styles are not the page's.
    page.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation', "
        "e => window.__csp.push(e.violatedDirective + ' ' + e.sourceFile + ':' + e.lineNumber))"
    )
    page.goto(f"{desk.url}/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Set up the desk")).to_be_visible()
    return page


def blocked(page: Any) -> list[str]:
    """What the Content-Security-Policy blocked on the page so far."""
    return [f"{page.url}: {entry}" for entry in page.evaluate("window.__csp")]


def test_an_admin_sets_up_a_campus_and_a_librarian_who_then_sees_it(
    desk: Desk, contexts: Contexts
) -> None:
    axe = Axe()
    problems: list[str] = []
    violations: list[str] = []
    page = admin_page(contexts, desk, violations)

    page.goto(f"{desk.url}/admin/campuses/campus/")
    violations += blocked(page)
    problems += audit(page, "admin-campus-list", axe)
    page.goto(f"{desk.url}/admin/campuses/campus/add/")
    violations += blocked(page)
    problems += audit(page, "admin-campus-add", axe)
    page.fill("#id_slug", "harbour")
    page.fill("#id_name", "Harbour Campus Library")
    page.locator("#id_colour").fill("#1f4e79")
    page.select_option("#id_timezone", "UTC")
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"):
        page.fill(f"#id_{day}", "00:00-11:00, 12:00-23:59")
    # The inlines' "add another" script works under the policy.
    page.locator("#links-group").get_by_role("button", name="Add another Link").click()
    expect(page.locator("#id_links-1-title")).to_be_visible()
    page.fill("#id_links-0-title", "Harbour home")
    page.fill("#id_links-0-url", "https://harbour.example.edu/")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    row = page.locator("#result_list tr", has_text="Harbour Campus Library")
    expect(row).to_contain_text("12am–11am, 12pm–11:59pm")

    row.get_by_role("link", name="Harbour Campus Library").click()
    expect(page.locator("#id_monday")).to_have_value("00:00-11:00, 12:00-23:59")
    violations += blocked(page)
    problems += audit(page, "admin-campus-change", axe)

    page.goto(f"{desk.url}/admin/accounts/librarian/add/")
    violations += blocked(page)
    problems += audit(page, "admin-librarian-add", axe)
    page.fill("#id_username", "hana")
    page.fill("#id_display_name", "Hana")
    page.select_option("#id_home_campus", label="Harbour Campus Library")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    page.locator("#result_list").get_by_role("link", name="Hana").click()
    expect(page.get_by_role("link", name="Change the password")).to_be_visible()
    violations += blocked(page)
    problems += audit(page, "admin-librarian-change", axe)

    for name, path in (
        ("admin-chat-list", "/admin/chats/chat/"),
        ("admin-ticket-list", "/admin/tickets/ticket/"),
    ):
        page.goto(f"{desk.url}{path}")
        violations += blocked(page)
        problems += audit(page, name, axe)
        first = page.locator("#result_list tbody tr th a").first
        if not first.count():
            continue
        first.click()
        expect(page.locator("#content-main")).to_be_visible()
        violations += blocked(page)
        problems += audit(page, f"{name.removesuffix('-list')}-read", axe)

    console = log_in(contexts.new(), desk, "hana")
    harbour = console.locator("#campus-filter option", has_text="Harbour Campus Library")
    expect(harbour).to_have_count(1)

    patron = contexts.new(phone=True).new_page()
    patron.goto(f"{desk.url}/ask/harbour/")
    expect(patron.locator("body")).to_contain_text("Harbour Campus Library")
    expect(patron.locator("body")).to_contain_text("12am–11am, 12pm–11:59pm")

    assert not violations, "the admin's pages logged errors:\n" + "\n".join(violations)
    assert not problems, "axe found serious or critical violations:\n" + "\n".join(problems)
