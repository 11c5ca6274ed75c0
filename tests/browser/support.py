"""What the browser tests share: the served desk, browser contexts, and the people's steps.

Importing this never fails for want of Playwright: the folder's conftest skips (or, with
REFDESK_REQUIRE_BROWSER=1, fails) every test before one runs without it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - conftest skips the folder
    expect = None  # type: ignore[assignment]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PASSWORD = "refdesk-demo"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
TIMEOUT_MS = 10_000
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    if expect is None:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


# --- the desk ----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# A campus site on the same host as the desk, so the same site for its cookies, as a
# campus CMS usually is; tests/browser/test_origins.py serves pages there.
EMBEDDING_PORT = _free_port()
EMBEDDING_SITE = f"http://127.0.0.1:{EMBEDDING_PORT}"


@dataclass
class Desk:
    url: str
    data_dir: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def _child_env(data_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    # pytest-django points DJANGO_SETTINGS_MODULE at the test settings, and the
    # environment may carry REFDESK_* meant for other tests: the server gets neither.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("REFDESK_") and key != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        REFDESK_DEBUG="1",
        REFDESK_DATA_DIR=str(data_dir),
        PYTHONUNBUFFERED="1",
        REFDESK_EMBED_ORIGINS=EMBEDDING_SITE,
    )
    env.update(extra or {})
    return env


def _refdesk_command() -> list[str]:
    script = Path(sys.executable).parent / "refdesk"
    return [str(script)] if script.exists() else [sys.executable, "-m", "refdesk"]


def start_desk(
    data_dir: Path, *, settings: dict[str, str] | None = None, demo_tickets: bool = True
) -> Desk:
    """`refdesk migrate`, `refdesk demo`, `refdesk serve` in ``data_dir``; waits for /healthz.

    ``settings`` are ``REFDESK_*`` variables for this desk alone (a shortened timer);
    ``demo_tickets=False`` leaves out the demo's tickets (for tests that count tickets)."""
    prepare_desk(data_dir, settings=settings, demo_tickets=demo_tickets)
    return serve_desk(data_dir, settings=settings)


def prepare_desk(
    data_dir: Path, *, settings: dict[str, str] | None = None, demo_tickets: bool = True
) -> None:
    """`refdesk migrate` and `refdesk demo` in ``data_dir``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = _child_env(data_dir, settings)
    command = _refdesk_command()
    for step in (["migrate"], ["demo"] if demo_tickets else ["demo", "--no-tickets"]):
        done = subprocess.run(
            [*command, *step], env=env, cwd=data_dir, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            pytest.fail(f"refdesk {' '.join(step)} failed:\n{done.stdout}\n{done.stderr}")


def copy_desk(template: Path, data_dir: Path) -> Path:
    """A new desk folder holding a copy of a prepared one (its database and its secrets),
    so that each test file starts from the same demo desk in a few milliseconds."""
    shutil.copytree(template, data_dir, ignore=shutil.ignore_patterns("serve.log"))
    return data_dir


def serve_desk(data_dir: Path, *, settings: dict[str, str] | None = None) -> Desk:
    """`refdesk serve` on a free port for the prepared ``data_dir``; waits for /healthz."""
    env = _child_env(data_dir, settings)
    command = _refdesk_command()
    port = _free_port()
    desk = Desk(url=f"http://127.0.0.1:{port}", data_dir=data_dir, log=data_dir / "serve.log")
    with desk.log.open("wb") as log:
        desk.process = subprocess.Popen(
            [*command, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=data_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if desk.process.poll() is not None:
            pytest.fail(f"refdesk serve exited with {desk.process.returncode}:\n{desk.log_tail()}")
        try:
            with urllib.request.urlopen(f"{desk.url}/healthz", timeout=2) as response:  # noqa: S310
                if json.load(response).get("ok"):
                    return desk
        except (OSError, urllib.error.URLError, ValueError):
            time.sleep(0.1)
    stop_desk(desk)
    pytest.fail(f"refdesk serve did not answer /healthz within 30 s:\n{desk.log_tail()}")


def flood_queue(desk: Desk, count: int, *, name: str = "Flood", kind: str = "chat") -> list[int]:
    """``count`` waiting chats (or, with ``kind="ticket"``, new tickets) made through the
    real action in the desk's own database, spread over its campuses in turn, oldest
    first; their ids.

    They are made by another process, so consoles see them at their next snapshot, not
    live: a test opens its consoles after flooding.
    """
    script = (
        "import json, os\n"
        "from refdesk.campuses.models import Campus\n"
        "from refdesk.chats.actions import do_create_chat\n"
        "from refdesk.tickets.actions import do_create_ticket\n"
        "name, count = os.environ['FLOOD_NAME'], int(os.environ['FLOOD_COUNT'])\n"
        "campuses = list(Campus.objects.order_by('position', 'name'))\n"
        "def chat(i):\n"
        "    return do_create_chat(campuses[i % len(campuses)], patron_name=f'{name} {i}',\n"
        "        patron_email='', question='Cheap watches, click here')[0].pk\n"
        "def ticket(i):\n"
        "    return do_create_ticket(campuses[i % len(campuses)], patron_name=f'{name} {i}',\n"
        "        patron_email='junk@example.com', question='Cheap watches, click here').pk\n"
        "make = ticket if os.environ['FLOOD_KIND'] == 'ticket' else chat\n"
        "print(json.dumps([make(i) for i in range(count)]))\n"
    )
    done = subprocess.run(
        [*_refdesk_command(), "shell", "-c", script],
        env={
            **_child_env(desk.data_dir),
            "FLOOD_NAME": name,
            "FLOOD_COUNT": str(count),
            "FLOOD_KIND": kind,
        },
        cwd=desk.data_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"flooding the queue failed:\n{done.stdout}\n{done.stderr}")
    return [int(chat_id) for chat_id in json.loads(done.stdout.strip().splitlines()[-1])]


def stop_desk(desk: Desk) -> None:
    if desk.process is None or desk.process.poll() is not None:
        return
    desk.process.terminate()
    try:
        desk.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        desk.process.kill()
        desk.process.wait(timeout=5)


# --- browser contexts ----------------------------------------------------------


@dataclass
class Contexts:
    """One test's browser contexts; script errors and dialogs in any page are collected."""

    browser: Any
    opened: list[Any] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def new(self, *, phone: bool = False, **options: Any) -> Any:
        if phone:
            options.setdefault("viewport", PHONE)
            options.setdefault("is_mobile", True)
            options.setdefault("has_touch", True)
        else:
            options.setdefault("viewport", DESKTOP)
        context = self.browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.on("page", self._watch)
        self.opened.append(context)
        return context

    def _watch(self, page: Any) -> None:
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: {error}"))

        def on_dialog(dialog: Any) -> None:
            # No page of the desk opens a dialog: one means a message body ran as script.
            self.problems.append(f"{page.url}: unexpected {dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)

    def close(self) -> None:
        for context in self.opened:
            with contextlib.suppress(Exception):
                context.close()


def save_screenshot(page: Any, name: str, *, full_page: bool = False) -> Path:
    """A screenshot under test-artifacts/screenshots/ for people to look at."""
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    return path


# --- what people do ------------------------------------------------------------


def log_in(context: Any, desk: Desk, username: str) -> Any:
    """A librarian logs in through the login page and lands on a connected console."""
    page = context.new_page()
    page.goto(f"{desk.url}/accounts/login/?next=/console/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{desk.url}/console/")
    expect(page.locator("#connection")).to_have_text("Connected")
    return page


def start_chat(
    page: Any, desk: Desk, *, campus: str = "north", name: str = "", question: str = ""
) -> int:
    """A patron opens the ask page and starts a chat; returns the chat's id."""
    page.goto(f"{desk.url}/ask/{campus}/")
    return submit_prechat(page, page, name=name, question=question)


def submit_prechat(page: Any, scope: Any, *, name: str = "", question: str = "") -> int:
    """Fill and send the pre-chat form in ``scope`` (a page, or the widget's frame)."""
    expect(scope.locator("#prechat")).to_be_visible()
    if name:
        scope.locator("#name").fill(name)
    if question:
        scope.locator("#question").fill(question)
    with page.expect_response(
        lambda r: r.url.endswith("/api/chats") and r.request.method == "POST"
    ) as created:
        scope.get_by_role("button", name="Start chat").click()
    response = created.value
    assert response.status == 201, response.text()
    expect(scope.locator("#chat")).to_be_visible()
    return int(response.json()["chat_id"])


def queue_item(console: Any, chat_id: int) -> Any:
    return console.locator(f'#queue .queue-item[data-chat-id="{chat_id}"]')


def claim(console: Any, chat_id: int) -> Any:
    """Claim a chat from the queue with the mouse; returns its pane."""
    queue_item(console, chat_id).locator(".claim").click()
    pane = console.locator(f"#pane-{chat_id}")
    expect(pane).to_be_visible()
    return pane


def send_from_console(pane: Any, text: str) -> None:
    box = pane.locator("textarea")
    box.fill(text)
    box.press("Enter")
    expect(pane.locator(".messages .message.from-librarian:not(.pending) .body").last).to_have_text(
        text
    )


def send_from_patron(scope: Any, text: str) -> None:
    scope.locator("#body").fill(text)
    scope.locator("#body").press("Enter")
    expect(scope.locator("#messages .message.from-patron:not(.pending) .body").last).to_have_text(
        text
    )


def end_from_console(pane: Any) -> None:
    pane.locator(".end").click()
    pane.locator(".end-confirm").get_by_role("button", name="End chat").click()
    expect(pane.locator(".ended-note")).to_be_visible()


def patron_details(console: Any) -> dict[str, str]:
    """The console's patron panel as {term: value}."""
    return dict(
        console.eval_on_selector_all(
            "#patron-details dt",
            "terms => terms.map(dt => [dt.textContent, dt.nextElementSibling.textContent])",
        )
    )
