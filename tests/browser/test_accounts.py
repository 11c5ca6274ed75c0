"""Accounts in a real browser: a superuser without a profile gives themselves one and the
console opens; a librarian deactivated from the command line is sent to the login page.

The browser's desk has no Redis, so a command (another process) cannot reach the server's
sockets: its console closes at the server's next session sweep, not at once (the tests in
tests/accounts/test_deactivation.py show the immediate close within one process)."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.support import (
    PASSWORD,
    Contexts,
    Desk,
    _child_env,
    _refdesk_command,
    expect,
    log_in,
)
from tests.browser.test_accessibility import audit

pytestmark = pytest.mark.browser


def refdesk(desk: Desk, *args: str, stdin: str = "", env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [*_refdesk_command(), *args],
        env=_child_env(desk.data_dir, env),
        cwd=desk.data_dir,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_superuser_without_a_profile_adds_one_and_the_console_opens(
    desk: Desk, contexts: Contexts
) -> None:
    # An account made as Django's own command would, without the profile.
    refdesk(
        desk,
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model\n"
        f"get_user_model().objects.create_superuser('boss', '', '{PASSWORD}')",
    )
    page: Any = contexts.new().new_page()
    page.goto(f"{desk.url}/accounts/login/?next=/console/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(
        page.get_by_role("heading", name="Your account has no librarian profile")
    ).to_be_visible()
    expect(page.get_by_label("Home campus")).to_have_value("north")
    problems = audit(page, "no-profile", Axe())
    assert not problems, "\n".join(problems)

    page.get_by_label("Home campus").select_option("south")
    page.get_by_label("Display name").fill("The Boss")
    page.get_by_role("button", name="Add my profile and open the console").click()
    page.wait_for_url(f"{desk.url}/console/")
    expect(page.locator("#connection")).to_have_text("Connected")
    expect(page.locator(".console-title .me")).to_contain_text("The Boss")


def test_a_librarian_deactivated_from_the_command_line_is_sent_to_the_login_page(
    desk: Desk, contexts: Contexts
) -> None:
    refdesk(
        desk,
        "librarian",
        "add",
        "gil",
        "--campus",
        "north",
        "--role",
        "librarian",
        stdin=f"{PASSWORD}\n",
    )
    console = log_in(contexts.new(), desk, "gil")
    refdesk(desk, "librarian", "deactivate", "gil")
    # Closed with 4401 by the server's session sweep (every few seconds), with no frame sent.
    console.wait_for_url(f"{desk.url}/accounts/login/?next=%2Fconsole%2F", timeout=15_000)
    console.goto(f"{desk.url}/console/")
    expect(console).to_have_url(f"{desk.url}/accounts/login/?next=/console/")
