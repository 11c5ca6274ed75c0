"""The wire protocol's contract: what the server sends is declared, documented and handled.

``refdesk.chats.events`` declares every frame as a ``TypedDict``; docs/protocol.md
documents each one under a "### `type`" heading; the JavaScript clients handle every type
their socket receives. These tests hold the four together: the source, the declarations,
the documentation and the clients, and finally the frames a real conversation produces.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints, is_typeddict

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from refdesk.accounts.models import Librarian
from refdesk.chats import actions, events
from refdesk.chats.models import Chat
from refdesk.tickets.actions import check_create_ticket, do_purge_expired_tickets
from refdesk.tickets.models import Ticket
from tests.support import consumer_classes, open_socket

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "refdesk"
JS = SRC / "static" / "refdesk" / "js"
DOC = ROOT / "docs" / "protocol.md"

# Dict literals whose "type" never reaches a socket: ASGI's own messages (the lifespan
# handshake) and the channel layer's messages to consumers (``relay.*``, whose payload is
# the event that does).
NOT_ON_THE_WIRE = ("lifespan.", "websocket.", "http.", "relay.")

SENDS = {
    "patron": events.PATRON_SERVER_EVENTS,
    "staff": events.STAFF_SERVER_EVENTS,
}
CONSUMERS = consumer_classes()
RECEIVES = {
    "patron": (events.PATRON_FRAME_TYPES, events.PATRON_FRAMES, CONSUMERS["patron"]),
    "staff": (events.STAFF_FRAME_TYPES, events.STAFF_FRAMES, CONSUMERS["staff"]),
}
CLIENT_SCRIPT = {"patron": "ask.js", "staff": "console.js"}
# ``ack`` and ``error`` answering a frame with a ``ref`` are settled by the shared socket.
SHARED_SCRIPT = "socket.js"
SHARED_TYPES = {"ack", "error"}


# ---------------------------------------------------------------------------
# Reading the source, the documentation and the clients as text
# ---------------------------------------------------------------------------


def types_sent_by_the_source() -> dict[str, set[str]]:
    """Every event type the server code builds, with the files that build it.

    Two forms: a dict literal ``{"type": "x", ...}`` and a recorded chat event
    ``_record_event(chat, "x", ...)``, whose row and event carry that type.
    """
    literal = re.compile(r"""["']type["']\s*:\s*["']([^"']+)["']""")
    recorded = re.compile(r"""_record_event\(\s*[\w.]+\s*,\s*["']([^"']+)["']""")
    found: dict[str, set[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts or path.name == "events.py":
            continue
        text = path.read_text(encoding="utf-8")
        for match in [*literal.finditer(text), *recorded.finditer(text)]:
            name = match.group(1)
            if not name.startswith(NOT_ON_THE_WIRE):
                found.setdefault(name, set()).add(str(path.relative_to(SRC)))
    return found


def error_codes_in_the_source() -> set[str]:
    pattern = re.compile(r"""(?:ActionError|send_error)\(\s*["']([a-z_]+)["']""")
    return {
        code
        for path in SRC.rglob("*.py")
        if "migrations" not in path.parts
        for code in pattern.findall(path.read_text(encoding="utf-8"))
    }


def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def doc_sections(level: int, text: str) -> list[tuple[str, str]]:
    """(title, body) of every heading of exactly ``level`` (2 or deeper) in ``text``."""
    marks = "#" * level
    heading = re.compile(rf"^{marks} (?!#)(.+)$", re.MULTILINE)
    matches = list(heading.finditer(text))
    sections: list[tuple[str, str]] = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        # A section also ends at the next heading of a higher level.
        higher = re.compile(rf"^#{{1,{level - 1}}} (?!#)", re.MULTILINE)
        cut = higher.search(text, match.end(), end)
        sections.append((match.group(1).strip(), text[match.end() : cut.start() if cut else end]))
    return sections


def documented_types(text: str) -> dict[str, str]:
    """``type`` → the body of its "### `type`" section, within ``text``."""
    found: dict[str, str] = {}
    for title, body in doc_sections(3, text):
        match = re.fullmatch(r"`([^`]+)`", title)
        if match:
            found[match.group(1)] = body
    return found


def direction_section(arrow: str) -> str:
    """The body of the one "## …" section whose title names the direction ``arrow``."""
    bodies = [body for title, body in doc_sections(2, doc_text()) if arrow in title.lower()]
    assert len(bodies) == 1, f"docs/protocol.md needs exactly one '## …{arrow}…' section"
    return bodies[0]


def js_handles(script: str, frame_type: str) -> bool:
    text = (JS / script).read_text(encoding="utf-8")
    quoted = re.escape(frame_type)
    return bool(
        re.search(rf"""case\s+["']{quoted}["']\s*:""", text)
        or re.search(rf"""frame\.type\s*===?\s*["']{quoted}["']""", text)
    )


def js_sends(script: str) -> set[str]:
    """Frame types a client script sends with ``socket.request`` or ``socket.notify``."""
    text = (JS / script).read_text(encoding="utf-8")
    return set(re.findall(r"""\.(?:request|notify)\(\s*\{\s*type:\s*["']([^"']+)["']""", text))


# ---------------------------------------------------------------------------
# (a) declared, (b) documented, (c) handled
# ---------------------------------------------------------------------------


def test_every_event_type_the_server_sends_is_declared_and_nothing_else_is() -> None:
    sent = types_sent_by_the_source()
    # The scan must see the consumers' own frames, or it is reading the wrong files.
    assert {"ack", "error", "snapshot", "chat.state", "chat.created", "presence"} <= set(sent)
    undeclared = {
        name: files for name, files in sent.items() if name not in events.SERVER_EVENT_TYPES
    }
    assert not undeclared, f"sent but not declared in chats/events.py: {undeclared}"
    stale = set(events.SERVER_EVENT_TYPES) - set(sent)
    assert not stale, f"declared in chats/events.py but never sent: {stale}"


def test_the_registry_lists_exactly_what_each_socket_receives() -> None:
    assert set(events.SERVER_EVENT_TYPES) == set(events.PATRON_SERVER_EVENTS) | set(
        events.STAFF_SERVER_EVENTS
    )
    for name, forms in events.SERVER_EVENT_TYPES.items():
        for form in forms:
            assert is_typeddict(form), f"{form!r} is not a TypedDict"
            assert get_type_hints(form)["type"] == Literal[name], f"{form.__name__}.type"


@pytest.mark.parametrize("name", sorted(events.SERVER_EVENT_TYPES))
def test_every_server_event_type_has_its_own_heading_in_the_protocol_doc(name: str) -> None:
    assert name in documented_types(doc_text()), f"docs/protocol.md lacks '### `{name}`'"


@pytest.mark.parametrize(
    ("arrow", "socket"),
    [("server → patron", "patron"), ("server → staff", "staff")],
    ids=["patron", "staff"],
)
def test_each_socket_documents_every_frame_it_receives_field_by_field(
    arrow: str, socket: str
) -> None:
    documented = documented_types(direction_section(arrow))
    for name, forms in SENDS[socket].items():
        assert name in documented, f"'## …{arrow}…' lacks '### `{name}`'"
        for form in forms:
            for key in get_type_hints(form):
                assert f"`{key}`" in documented[name], (
                    f"'### `{name}`' ({arrow}) does not name the field `{key}` of {form.__name__}"
                )


@pytest.mark.parametrize(
    ("arrow", "socket"),
    [("patron → server", "patron"), ("staff → server", "staff")],
    ids=["patron", "staff"],
)
def test_each_socket_documents_every_frame_it_accepts_field_by_field(
    arrow: str, socket: str
) -> None:
    frame_types, frames, _consumer = RECEIVES[socket]
    documented = documented_types(direction_section(arrow))
    for name in frame_types:
        assert name in documented, f"'## …{arrow}…' lacks '### `{name}`'"
        for key in get_type_hints(frames[name]):
            assert f"`{key}`" in documented[name], f"'### `{name}`' ({arrow}) lacks `{key}`"


@pytest.mark.parametrize(
    ("arrow", "socket", "server_sends"),
    [
        ("server → patron", "patron", True),
        ("patron → server", "patron", False),
        ("server → staff", "staff", True),
        ("staff → server", "staff", False),
    ],
    ids=["to-patron", "from-patron", "to-staff", "from-staff"],
)
def test_every_json_example_in_the_protocol_doc_fits_its_declared_shape(
    arrow: str, socket: str, server_sends: bool
) -> None:
    documented = documented_types(direction_section(arrow))
    names = SENDS[socket] if server_sends else RECEIVES[socket][0]
    for name in names:
        forms = SENDS[socket][name] if server_sends else (RECEIVES[socket][1][name],)
        examples = re.findall(r"```json\n(.*?)\n```", documented.get(name, ""), re.DOTALL)
        assert examples, f"'### `{name}`' ({arrow}) has no JSON example"
        for example in examples:
            frame = json.loads(example)
            report = {form.__name__: shape_problems(frame, form, name) for form in forms}
            assert any(not problems for problems in report.values()), report


def test_the_nested_shapes_are_documented_field_by_field() -> None:
    text = doc_text()
    for shape in (
        events.ChatSummary,
        events.ChatWithMessages,
        events.PatronChatView,
        events.MessageEvent,
        events.Me,
        events.PresenceEntry,
        events.TicketSummary,
    ):
        for key in get_type_hints(shape):
            assert f"`{key}`" in text, f"docs/protocol.md never names {shape.__name__}.{key}"


def test_every_error_code_the_server_can_produce_is_in_the_protocol_docs_table() -> None:
    (errors,) = [body for title, body in doc_sections(2, doc_text()) if title == "Errors"]
    table = set(re.findall(r"^\| `([a-z_]+)` \|", errors, re.MULTILINE))
    produced = error_codes_in_the_source()
    assert {"bad_json", "unknown_type", "not_yours", "offline"} <= produced
    missing = (produced | set(get_args(events.ErrorCode))) - table
    assert not missing, f"error codes missing from the docs' table: {sorted(missing)}"


@pytest.mark.parametrize("socket", ["patron", "staff"])
def test_the_javascript_client_handles_every_type_its_socket_receives(socket: str) -> None:
    script = CLIENT_SCRIPT[socket]
    unhandled = [
        name
        for name in SENDS[socket]
        if not js_handles(script, name)
        and not (name in SHARED_TYPES and js_handles(SHARED_SCRIPT, name))
    ]
    assert not unhandled, f"{script} does not handle {unhandled}"


@pytest.mark.parametrize("socket", ["patron", "staff"])
def test_the_consumer_accepts_exactly_the_declared_client_frames(socket: str) -> None:
    frame_types, frames, consumer = RECEIVES[socket]
    assert tuple(consumer.handlers) == frame_types
    assert tuple(frames) == frame_types
    for name, method in consumer.handlers.items():
        assert callable(getattr(consumer, method, None)), f"{name} → {method} is missing"
        assert get_type_hints(frames[name])["type"] == Literal[name]


@pytest.mark.parametrize("socket", ["patron", "staff"])
def test_the_javascript_client_sends_only_frames_its_socket_accepts(socket: str) -> None:
    frame_types, _frames, _consumer = RECEIVES[socket]
    sent = js_sends(CLIENT_SCRIPT[socket])
    assert sent, "the scan found no frames: is the regex still right?"
    assert sent <= set(frame_types), f"{CLIENT_SCRIPT[socket]} sends {sent - set(frame_types)}"


# ---------------------------------------------------------------------------
# (e) The frames of a real conversation have exactly the declared keys
# ---------------------------------------------------------------------------


def shape_problems(value: Any, annotation: Any, where: str) -> list[str]:
    """Why ``value`` does not fit ``annotation`` (a TypedDict or a part of one); [] if it does."""
    if is_typeddict(annotation):
        if not isinstance(value, dict):
            return [f"{where}: expected an object, got {value!r}"]
        required: frozenset[str] = annotation.__required_keys__
        optional: frozenset[str] = annotation.__optional_keys__
        problems = [f"{where}: missing `{key}`" for key in sorted(required - value.keys())]
        problems += [
            f"{where}: undeclared `{key}`" for key in sorted(value.keys() - required - optional)
        ]
        hints = get_type_hints(annotation)
        for key in sorted(value.keys() & hints.keys()):
            problems += shape_problems(value[key], hints[key], f"{where}.{key}")
        return problems
    origin = get_origin(annotation)
    if origin is Literal:
        return [] if value in get_args(annotation) else [f"{where}: {value!r} not in {annotation}"]
    if origin in (Union, types.UnionType):
        branches = [shape_problems(value, arm, where) for arm in get_args(annotation)]
        return [] if any(not b for b in branches) else min(branches, key=len)
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{where}: expected an object, got {value!r}"]
        key_type, item = get_args(annotation)
        return [
            problem
            for key, v in value.items()
            for problem in [
                *shape_problems(key, key_type, f"{where} key {key!r}"),
                *shape_problems(v, item, f"{where}[{key!r}]"),
            ]
        ]
    if origin is list:
        if not isinstance(value, list):
            return [f"{where}: expected a list, got {value!r}"]
        (item,) = get_args(annotation)
        return [p for i, v in enumerate(value) for p in shape_problems(v, item, f"{where}[{i}]")]
    if annotation is type(None):
        return [] if value is None else [f"{where}: expected null, got {value!r}"]
    if annotation is bool:
        return [] if isinstance(value, bool) else [f"{where}: expected a boolean, got {value!r}"]
    if annotation is int:
        fits = isinstance(value, int) and not isinstance(value, bool)
        return [] if fits else [f"{where}: expected an integer, got {value!r}"]
    if annotation is float:
        fits = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if fits else [f"{where}: expected a number, got {value!r}"]
    if annotation is str:
        return [] if isinstance(value, str) else [f"{where}: expected a string, got {value!r}"]
    raise TypeError(f"the contract test cannot check {annotation!r} yet; teach shape_problems")


def test_the_shape_checker_refuses_missing_undeclared_and_mistyped_keys() -> None:
    good = {"type": "chat.claimed", "chat_id": 1, "by": "Ana"}
    assert shape_problems(good, events.PatronChatClaimed, "f") == []
    assert shape_problems({**good, "by_id": 2}, events.PatronChatClaimed, "f") == [
        "f: undeclared `by_id`"
    ]
    assert shape_problems({"type": "chat.claimed", "by": "Ana"}, events.PatronChatClaimed, "f") == [
        "f: missing `chat_id`"
    ]
    assert shape_problems({**good, "chat_id": True}, events.PatronChatClaimed, "f")
    error = {"type": "error", "code": "invalid", "message": "No."}
    assert shape_problems(error, events.ErrorEvent, "e") == []
    assert shape_problems({**error, "ref": None}, events.ErrorEvent, "e")


class Recorder:
    """A socket whose every received frame is checked against the declared forms."""

    def __init__(self, communicator: WebsocketCommunicator, socket: str, seen: set[str]) -> None:
        self.communicator = communicator
        self.socket = socket
        self.seen = seen

    def check(self, frame: dict[str, Any]) -> None:
        declared = SENDS[self.socket]
        name = frame.get("type")
        assert name in declared, f"{self.socket} socket got undeclared type {name!r}: {frame}"
        report = {form.__name__: shape_problems(frame, form, name) for form in declared[name]}
        fits = [form for form, problems in report.items() if not problems]
        assert len(fits) == 1, f"{self.socket} {name} fits {fits or 'no form'}: {report}"
        self.seen.add(f"{self.socket}:{fits[0]}")

    async def receive(self) -> dict[str, Any]:
        frame: dict[str, Any] = await self.communicator.receive_json_from(timeout=5)
        self.check(frame)
        return frame

    async def until(
        self, frame_type: str, where: Callable[[dict[str, Any]], bool] = lambda _f: True
    ) -> dict[str, Any]:
        while True:
            frame = await self.receive()
            if frame["type"] == frame_type and where(frame):
                return frame

    async def send(self, frame: dict[str, Any] | str) -> None:
        if isinstance(frame, str):
            await self.communicator.send_to(text_data=frame)
        else:
            await self.communicator.send_json_to(frame)

    async def drain(self) -> None:
        while not await self.communicator.receive_nothing(timeout=0.2):
            output = await self.communicator.receive_output(timeout=1)
            if output["type"] == "websocket.close":
                return
            self.check(json.loads(output["text"]))

    async def close(self) -> None:
        await self.drain()
        await self.communicator.disconnect()


def purge_a_year_later(ticket_id: int) -> None:
    """Age a ticket past the retention of unfinished ones and run the purge."""
    Ticket.objects.filter(pk=ticket_id).update(created_at=timezone.now() - dt.timedelta(days=366))
    do_purge_expired_tickets()


async def staff_recorder(librarian: Librarian, seen: set[str], *, after: int = 0) -> Recorder:
    """A console of ``librarian`` whose every frame, the snapshot first, is checked."""
    return Recorder(await open_socket(f"/ws/staff/?after={after}", user=librarian), "staff", seen)


async def patron_recorder(token: str, seen: set[str]) -> Recorder:
    """A patron's socket whose every frame, the chat's state first, is checked."""
    return Recorder(await open_socket(f"/ws/patron/{token}/"), "patron", seen)


def every_declared_form() -> set[str]:
    return {
        f"{socket}:{form.__name__}"
        for socket, declared in SENDS.items()
        for forms in declared.values()
        for form in forms
    }


@pytest.mark.django_db(transaction=True)
async def test_every_frame_of_a_whole_conversation_has_exactly_the_declared_keys(
    make_librarian: Callable[..., Librarian],
) -> None:
    make = database_sync_to_async(make_librarian)
    ana_user = await make("ana", campus="north")
    ben_user = await make("ben", campus="south", role="supervisor")
    seen: set[str] = set()
    opened: list[Recorder] = []

    def keep(recorder: Recorder) -> Recorder:
        opened.append(recorder)
        return recorder

    try:
        ana = keep(await staff_recorder(ana_user, seen))
        assert (await ana.receive())["type"] == "snapshot"
        ben = keep(await staff_recorder(ben_user, seen))
        assert (await ben.receive())["type"] == "snapshot"
        await ana.until("presence", lambda f: f["display_name"] == "Ben")

        create = database_sync_to_async(actions.check_create_chat)
        chat, token = await create(
            campus_slug="north", name="Sam", email="sam@example.edu", question="APA guides?"
        )
        other, other_token = await create(
            campus_slug="south", name="", email="", question="When do you close?"
        )
        for staff in (ana, ben):
            await staff.until("chat.created", lambda f: f["chat"]["id"] == other.pk)
        spam, _spam_token = await create(
            campus_slug="north", name="", email="", question="Cheap watches"
        )
        for staff in (ana, ben):
            await staff.until("chat.created", lambda f: f["chat"]["id"] == spam.pk)
        await ana.send({"type": "chat.dismiss", "chat_ids": [spam.pk], "ref": "d0"})
        assert (await ana.until("error"))["code"] == "forbidden"
        await ben.send({"type": "chat.dismiss", "chat_ids": [spam.pk, 10**9], "ref": "d1"})
        dismissed = await ben.until("ack")
        assert (dismissed["dismissed"], dismissed["skipped"]) == ([spam.pk], [10**9])
        assert (await ana.until("chat.ended"))["reason"] == "dismissed"
        await ana.send({"type": "queue.list", "campus": "south", "ref": "q1"})
        page = await ana.until("ack")
        assert ([c["id"] for c in page["waiting"]], page["more"]) == ([other.pk], False)
        await ana.send({"type": "queue.list", "before": 10**9, "ref": "q2"})
        assert (await ana.until("error"))["field"] == "before"
        ticket = await database_sync_to_async(check_create_ticket)(
            campus_slug="south", name="Kim", email="kim@example.edu", question="Renew by email?"
        )
        for staff in (ana, ben):
            await staff.until("ticket.created", lambda f: f["ticket"]["id"] == ticket.pk)
        # A ticket nobody closed for a year: the retention purge closes it.
        forgotten = await database_sync_to_async(check_create_ticket)(
            campus_slug="north", name="", email="old@example.edu", question="Lost?"
        )
        await database_sync_to_async(purge_a_year_later)(forgotten.pk)
        for staff in (ana, ben):
            await staff.until("ticket.updated", lambda f: f["ticket"]["id"] == forgotten.pk)
        await ben.send({"type": "ticket.list", "campus": "south", "state": "new", "ref": "t1"})
        tickets = await ben.until("ack")
        assert ([t["id"] for t in tickets["tickets"]], tickets["more"]) == ([ticket.pk], False)

        patron = keep(await patron_recorder(token, seen))
        assert (await patron.receive())["type"] == "chat.state"
        await patron.send({"type": "message.send", "client_id": "p1", "body": "7th ed.", "ref": 1})
        await patron.until("ack")

        await ana.send({"type": "chat.claim", "chat_id": chat.pk, "ref": "c1"})
        assert (await ana.until("ack"))["chat"]["claimed_by"] == "Ana"
        await ben.until("chat.claimed")
        await patron.until("chat.claimed")
        await ben.send({"type": "chat.claim", "chat_id": chat.pk, "ref": "c2"})
        assert (await ben.until("error"))["code"] == "already_claimed"
        await ben.send({"type": "chat.fetch", "chat_id": other.pk, "ref": "f1"})
        await ben.until("ack")

        await ana.send({"type": "typing", "chat_id": chat.pk, "active": True})
        await patron.until("typing")
        await patron.send({"type": "typing", "active": True})
        await ana.until("typing")
        await ana.send(
            {"type": "message.send", "chat_id": chat.pk, "client_id": "a1", "body": "Yes."}
        )
        await ana.until("ack")
        await patron.until("message", lambda f: f["sender"] == "librarian")

        await patron.send("not json")
        await patron.until("error")
        await patron.send({"type": "chat.explode", "ref": "x"})
        assert (await patron.until("error"))["ref"] == "x"
        await patron.send({"type": "message.send", "body": "x" * 4001, "ref": "long"})
        assert (await patron.until("error"))["code"] == "too_long"

        # A second console of Ana's: its snapshot has a waiting chat and an active one.
        second = keep(await staff_recorder(ana_user, seen))
        snapshot = await second.until("snapshot")
        assert [c["id"] for c in snapshot["waiting"]] == [other.pk]
        assert [c["id"] for c in snapshot["active"]] == [chat.pk]
        assert [t["id"] for t in snapshot["tickets"]] == [ticket.pk]
        assert (snapshot["waiting_total"], snapshot["waiting_by_campus"]) == (1, {"south": 1})
        assert (snapshot["tickets_total"], snapshot["tickets_by_campus"]) == (1, {"south": 1})
        await second.close()

        await ana.send({"type": "chat.end", "chat_id": chat.pk, "closing": "Bye!", "ref": "end"})
        assert (await ana.until("ack"))["state"] == "ended"
        await patron.until("chat.ended")
        await ben.until("chat.ended", lambda f: f["chat_id"] == chat.pk)

        leaver = keep(await patron_recorder(other_token, seen))
        await leaver.until("chat.state")
        await leaver.send({"type": "chat.leave", "ref": "bye"})
        await leaver.until("ack")
        await ben.until("chat.ended", lambda f: f["chat_id"] == other.pk)

        # A console that was away learns how its chats ended.
        back = keep(await staff_recorder(ana_user, seen, after=snapshot["event_id"]))
        assert [c["id"] for c in (await back.until("snapshot"))["ended"]] == [chat.pk]

        # Refused connections say why in an error frame before they close.
        stranger = Recorder(await open_socket("/ws/staff/"), "staff", seen)
        assert (await stranger.receive())["code"] == "unauthenticated"
        lost = Recorder(await open_socket("/ws/patron/no-such-token/"), "patron", seen)
        assert (await lost.receive())["code"] == "not_found"

        await ben.close()
        opened.remove(ben)
        await ana.until(
            "presence", lambda f: (f["display_name"], f["status"]) == ("Ben", "offline")
        )
    finally:
        for recorder in opened:
            await recorder.close()

    missing = every_declared_form() - seen
    assert not missing, f"the conversation never produced {sorted(missing)}"
    assert await database_sync_to_async(Chat.objects.filter(state="ended").count)() == 3
