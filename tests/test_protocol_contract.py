"""The wire protocol's contract: what the server sends is declared, documented and handled.

Each app declares its frames as ``TypedDict``s in its ``events.py``, in the registries of
``refdesk.core.protocol`` (what each socket sends and accepts, and every error code);
docs/protocol.md documents each one under a "### `type`" heading; the JavaScript clients
handle every type their socket receives. These tests hold the registries, the
documentation and the clients together, and finally check the frames a real conversation
produces against the declared shapes, every declared shape included.
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

from refdesk.accounts.actions import do_end_grace_periods
from refdesk.accounts.events import Me, PresenceEntry
from refdesk.accounts.models import Librarian
from refdesk.campuses.events import CampusFacts, CampusLinkFacts
from refdesk.chats import actions
from refdesk.chats.events import (
    ChatSummary,
    ChatWithMessages,
    MessageEvent,
    PatronChatClaimed,
    PatronChatView,
)
from refdesk.chats.models import Chat
from refdesk.chats.selectors import get_newest_chat_event_id
from refdesk.core import protocol
from refdesk.core.db import run_action
from refdesk.core.errors import ActionError
from refdesk.core.events import ErrorEvent
from refdesk.core.frames import patron_frames, staff_frames
from refdesk.core.realtime import JSONText, chat_group, send_event
from refdesk.directory.actions import check_contact_fields, do_add_contact
from refdesk.directory.events import DirectoryContact, DirectoryCourse
from refdesk.safety.actions import (
    check_guidance,
    check_watch_term,
    do_add_guidance,
    do_add_watch_term,
)
from refdesk.snippets.actions import check_snippet_text, do_add_snippet
from refdesk.snippets.events import SnippetCampus, SnippetEntry
from refdesk.tickets.actions import check_create_ticket, do_purge_expired_tickets
from refdesk.tickets.events import TicketSummary
from refdesk.tickets.models import Ticket
from tests.support import open_socket

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "refdesk"
JS = SRC / "static" / "refdesk" / "js"
DOC = ROOT / "docs" / "protocol.md"

# Dict literals whose "type" never reaches a socket: ASGI's own messages (the lifespan
# handshake) and the channel layer's messages to consumers (``relay.*``, whose payload is
# the event that does).
NOT_ON_THE_WIRE = ("lifespan.", "websocket.", "http.", "relay.")

SENDS = {socket: protocol.sends(socket) for socket in protocol.SOCKETS}
ACCEPTS = {socket: protocol.accepts(socket) for socket in protocol.SOCKETS}
HANDLERS = {"patron": patron_frames, "staff": staff_frames}
SERVER_EVENT_TYPES = protocol.server_event_types()
CLIENT_SCRIPT = {"patron": "ask.js", "staff": "console.js"}
# The console is an entry and the modules under console/; its store applies every frame
# with one handler of the table it exports as ``handlers``.
CONSOLE_MODULES = "console"
CONSOLE_STORE = "console/store.js"
# ``ack`` and ``error`` answering a frame with a ``ref`` are settled by the shared socket.
SHARED_SCRIPT = "socket.js"
SHARED_TYPES = {"ack", "error"}


# ---------------------------------------------------------------------------
# Reading the source, the documentation and the clients as text
# ---------------------------------------------------------------------------


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


def client_scripts(socket: str) -> list[Path]:
    """The files of a socket's JavaScript client: ask.js, or the console's modules."""
    scripts = [JS / CLIENT_SCRIPT[socket]]
    if socket == "staff":
        scripts += sorted((JS / CONSOLE_MODULES).rglob("*.js"))
    return scripts


def js_sends(scripts: list[Path]) -> set[str]:
    """Frame types the scripts send with ``socket.request`` or ``socket.notify``."""
    pattern = re.compile(r"""\.(?:request|notify)\(\s*\{\s*type:\s*["']([^"']+)["']""")
    return {name for path in scripts for name in pattern.findall(path.read_text(encoding="utf-8"))}


JS_WORD = re.compile(r"[A-Za-z_$][\w$]*")
JS_CLOSERS = {"{": "}", "(": ")", "[": "]"}


def _js_after_string(text: str, index: int) -> int:
    """The index just after the string or template literal that opens at ``text[index]``."""
    quote = text[index]
    index += 1
    while text[index] != quote:
        if text[index] == "\\":
            index += 2
        elif quote == "`" and text.startswith("${", index):
            index = _js_after_group(text, index + 1)
        else:
            index += 1
    return index + 1


def _js_after_group(text: str, index: int) -> int:
    """The index just after the bracket that closes the one at ``text[index]``."""
    closers = [JS_CLOSERS[text[index]]]
    index += 1
    while closers:
        if text.startswith("//", index):
            index = text.index("\n", index)
        elif text.startswith("/*", index):
            index = text.index("*/", index) + 2
        elif text[index] in "\"'`":
            index = _js_after_string(text, index)
        elif text[index] in JS_CLOSERS:
            closers.append(JS_CLOSERS[text[index]])
            index += 1
        else:
            if text[index] == closers[-1]:
                closers.pop()
            index += 1
    return index


def js_object_keys(text: str, start: int) -> list[str]:
    """The keys of the object literal whose ``{`` is ``text[start]``, in order.

    Only the object's own keys count: each value's brackets (a handler's body) are skipped
    whole, with the strings, templates and comments in them. A key is a quoted string or a
    name, as in ``"chat.created"(store, frame) {…}``, ``message(…) {…}`` or ``error: f``.
    Regular-expression literals are not understood; the tables read this way hold none.
    """
    keys: list[str] = []
    expect_key = True
    index = start + 1
    while text[index] != "}":
        if text.startswith("//", index):
            index = text.index("\n", index)
        elif text.startswith("/*", index):
            index = text.index("*/", index) + 2
        elif text.startswith("...", index) and expect_key:
            raise AssertionError("a handler table must list its keys itself, not spread them")
        elif text[index] in "\"'`":
            end = _js_after_string(text, index)
            if expect_key:
                keys.append(text[index + 1 : end - 1])
                expect_key = False
            index = end
        elif text[index] in JS_CLOSERS:
            index = _js_after_group(text, index)
        elif text[index] == ",":
            expect_key = True
            index += 1
        elif word := JS_WORD.match(text, index):
            index = word.end()
            # In ``async name(…) {…}`` the name after the modifier is the key.
            follows = text[index:].lstrip()[:1]
            modifier = word.group() == "async" and follows not in ("(", ":", ",")
            if expect_key and not modifier:
                keys.append(word.group())
                expect_key = False
        else:
            index += 1
    return keys


def js_handler_table(script: str) -> list[str]:
    """The keys of ``export const handlers = {…}`` in a client module: the types it handles."""
    text = (JS / script).read_text(encoding="utf-8")
    match = re.search(r"^export const handlers\s*=\s*\{", text, re.MULTILINE)
    assert match, f"{script} does not export its table of frame handlers as `handlers`"
    return js_object_keys(text, match.end() - 1)


def client_handles(socket: str, frame_type: str) -> bool:
    """Whether the socket's client handles the type: the console through its store's table."""
    if socket == "staff":
        return frame_type in js_handler_table(CONSOLE_STORE)
    return js_handles(CLIENT_SCRIPT[socket], frame_type)


def reserved_types(arrow: str) -> set[str]:
    """The types docs/protocol.md reserves for the direction ``arrow`` (not sent yet)."""
    (reserved,) = [body for title, body in doc_sections(2, doc_text()) if title == "Reserved"]
    rows = re.findall(r"^\| `([^`]+)` \| ([^|]+) \|", reserved, re.MULTILINE)
    return {name for name, directions in rows if arrow in directions}


# ---------------------------------------------------------------------------
# (a) declared, (b) documented, (c) handled
# ---------------------------------------------------------------------------


def test_the_registries_hold_what_every_app_declared() -> None:
    # The apps declare at start-up; a registry missing an app's part is read too early.
    assert {"chat.state", "message", "chat.claimed", "ack", "error"} <= set(SENDS["patron"])
    assert {"snapshot", "chat.created", "presence", "ticket.created"} <= set(SENDS["staff"])
    assert {"chat.claim", "ticket.list", "chat.dismiss"} <= set(ACCEPTS["staff"])
    assert {"not_yours", "unauthenticated", "bad_json", "offline"} <= set(protocol.error_codes())


def test_the_registry_lists_exactly_what_each_socket_receives() -> None:
    assert set(SERVER_EVENT_TYPES) == set(SENDS["patron"]) | set(SENDS["staff"])
    for name, forms in SERVER_EVENT_TYPES.items():
        for form in forms:
            assert is_typeddict(form), f"{form!r} is not a TypedDict"
            assert get_type_hints(form)["type"] == Literal[name], f"{form.__name__}.type"


def test_an_error_code_nobody_declared_is_refused_where_it_is_raised() -> None:
    with pytest.raises(ValueError, match="undeclared error code 'no_such_code'"):
        ActionError("no_such_code", "Never documented.")
    assert ActionError("not_yours", "Not yours.").status == 403


@pytest.mark.parametrize("name", sorted(SERVER_EVENT_TYPES))
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
    frames = ACCEPTS[socket]
    documented = documented_types(direction_section(arrow))
    for name in frames:
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
    names = SENDS[socket] if server_sends else ACCEPTS[socket]
    for name in names:
        forms = SENDS[socket][name] if server_sends else (ACCEPTS[socket][name],)
        examples = re.findall(r"```json\n(.*?)\n```", documented.get(name, ""), re.DOTALL)
        assert examples, f"'### `{name}`' ({arrow}) has no JSON example"
        for example in examples:
            frame = json.loads(example)
            report = {form.__name__: shape_problems(frame, form, name) for form in forms}
            assert any(not problems for problems in report.values()), report


def test_the_nested_shapes_are_documented_field_by_field() -> None:
    text = doc_text()
    for shape in (
        ChatSummary,
        ChatWithMessages,
        PatronChatView,
        MessageEvent,
        Me,
        PresenceEntry,
        TicketSummary,
        SnippetEntry,
        SnippetCampus,
        CampusFacts,
        CampusLinkFacts,
        DirectoryContact,
        DirectoryCourse,
    ):
        for key in get_type_hints(shape):
            assert f"`{key}`" in text, f"docs/protocol.md never names {shape.__name__}.{key}"


def test_every_error_code_the_server_can_produce_is_in_the_protocol_docs_table() -> None:
    (errors,) = [body for title, body in doc_sections(2, doc_text()) if title == "Errors"]
    table = set(re.findall(r"^\| `([a-z_]+)` \|", errors, re.MULTILINE))
    missing = set(protocol.error_codes()) - table
    assert not missing, f"error codes missing from the docs' table: {sorted(missing)}"
    unknown = table - set(protocol.error_codes())
    assert not unknown, f"the docs' table names codes nobody declares: {sorted(unknown)}"


@pytest.mark.parametrize("socket", ["patron", "staff"])
def test_the_javascript_client_handles_every_type_its_socket_receives(socket: str) -> None:
    client = CONSOLE_STORE if socket == "staff" else CLIENT_SCRIPT[socket]
    unhandled = [
        name
        for name in SENDS[socket]
        if not client_handles(socket, name)
        and not (name in SHARED_TYPES and js_handles(SHARED_SCRIPT, name))
    ]
    assert not unhandled, f"{client} does not handle {unhandled}"


def test_the_console_store_handles_only_types_the_staff_socket_sends_or_reserves() -> None:
    table = js_handler_table(CONSOLE_STORE)
    assert len(table) == len(set(table)), f"a type has two handlers: {table}"
    reserved = reserved_types("server → staff")
    assert "alert" in reserved, "is the Reserved table of docs/protocol.md still read?"
    stray = set(table) - set(SENDS["staff"]) - reserved
    assert not stray, f"{CONSOLE_STORE} handles types the staff socket never receives: {stray}"


def test_the_handler_table_reader_sees_the_table_s_own_keys_and_no_others() -> None:
    source = """
    const before = { notThis: 1 };
    export const handlers = {
      // "commented": out, { too
      snapshot(store, frame) {
        const inner = { nested: "}" };
        return `${frame.type} ${{ templated: 1 }.templated} \\` ${"}"}`;
      },
      "chat.created": (store, frame) => store.put("queue", frame.chat, { alsoNot: ")" }),
      'ticket.updated': function (store) { /* } */ return [1, "]", { nor: 2 }]; },
      async message(store, frame) { await store.receive(frame); },
      error: onError,
    };
    const after = { norThis: 2 };
    """
    start = source.index("{", source.index("export const handlers"))
    assert js_object_keys(source, start) == [
        "snapshot",
        "chat.created",
        "ticket.updated",
        "message",
        "error",
    ]


@pytest.mark.parametrize("socket", ["patron", "staff"])
def test_the_consumer_accepts_exactly_the_declared_client_frames(socket: str) -> None:
    frames = ACCEPTS[socket]
    registered = HANDLERS[socket]()
    assert set(registered) == set(frames)
    for name, entry in registered.items():
        handler = getattr(entry, "handler", entry)
        assert callable(handler), f"{name} has no handler"
        assert get_type_hints(frames[name])["type"] == Literal[name]


@pytest.mark.parametrize("socket", ["patron", "staff"])
def test_the_javascript_client_sends_only_frames_its_socket_accepts(socket: str) -> None:
    frame_types = set(ACCEPTS[socket])
    sent = js_sends(client_scripts(socket))
    assert sent, "the scan found no frames: is the regex still right?"
    assert sent <= frame_types, f"{CLIENT_SCRIPT[socket]} sends {sent - frame_types}"


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
        # JSONText is how the server carries JSON it did not build: on the wire it is the
        # value of the union's other arms, which the frame is checked against.
        arms = [arm for arm in get_args(annotation) if arm is not JSONText]
        branches = [shape_problems(value, arm, where) for arm in arms]
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
    assert shape_problems(good, PatronChatClaimed, "f") == []
    assert shape_problems({**good, "by_id": 2}, PatronChatClaimed, "f") == ["f: undeclared `by_id`"]
    assert shape_problems({"type": "chat.claimed", "by": "Ana"}, PatronChatClaimed, "f") == [
        "f: missing `chat_id`"
    ]
    assert shape_problems({**good, "chat_id": True}, PatronChatClaimed, "f")
    error = {"type": "error", "code": "invalid", "message": "No."}
    assert shape_problems(error, ErrorEvent, "e") == []
    assert shape_problems({**error, "ref": None}, ErrorEvent, "e")


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


def add_a_global_snippet() -> None:
    do_add_snippet(check_snippet_text(title="Hello", body="Hello, {patron_name}!"), scope="global")


def add_a_contact() -> None:
    do_add_contact(
        check_contact_fields(name="Crisis Text Line", category="crisis_line", phone="741741")
    )


def watch_and_advise() -> None:
    """A watched word, and a step of guidance that every console hears of."""
    do_add_watch_term(
        check_watch_term(language="en", kind="abuse", term="nincompoop*", is_pattern=True)
    )
    do_add_guidance(
        check_guidance(kind="crisis", section="act", text="Alert a supervisor right away.")
    )


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

        # The campus panel: a supervisor sets a campus's staff notes and every console
        # hears; a librarian may not; anyone reads a campus's facts.
        notes = {"type": "campus.notes.set", "campus": "north", "notes": "Printing: kiosk."}
        await ana.send({**notes, "ref": "n0"})
        assert (await ana.until("error"))["code"] == "forbidden"
        await ben.send({**notes, "ref": "n1"})
        assert (await ben.until("ack"))["facts"]["notes"] == "Printing: kiosk."
        changed = await ana.until("campus.facts")
        assert (changed["facts"]["campus"], changed["facts"]["notes"]) == (
            "north",
            "Printing: kiosk.",
        )
        await ana.send({"type": "campus.facts", "campus": "south", "ref": "f1"})
        assert (await ana.until("ack"))["facts"]["campus"] == "south"

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
        await ana.send({"type": "chat.patron", "chat_id": chat.pk, "name": "Sam Lee", "ref": "p"})
        assert (await ana.until("ack"))["chat"]["patron_name"] == "Sam Lee"
        await ben.until("chat.updated", lambda f: f["chat"]["id"] == chat.pk)

        await patron.send("not json")
        await patron.until("error")
        await patron.send({"type": "chat.explode", "ref": "x"})
        assert (await patron.until("error"))["ref"] == "x"
        await patron.send({"type": "message.send", "body": "x" * 4001, "ref": "long"})
        assert (await patron.until("error"))["code"] == "too_long"

        # Ana offers the chat to Ben, who declines; then accepts; then puts it back in the
        # north queue, and Ana claims it again.
        await ana.send({"type": "chat.transfer", "chat_id": chat.pk, "to_librarian": ben_user.pk})
        assert (await ana.until("ack"))["offered_to"] == "Ben"
        await ana.until("chat.updated", lambda f: f["chat"]["offer_to_id"] == ben_user.pk)
        await ben.until("chat.transfer.offered")
        await ben.send({"type": "chat.transfer.decline", "chat_id": chat.pk, "ref": "no"})
        assert (await ben.until("ack"))["chat_id"] == chat.pk
        await ana.until("chat.transfer.declined")
        await ana.send({"type": "chat.transfer", "chat_id": chat.pk, "to_librarian": ben_user.pk})
        await ana.until("ack")
        await ben.until("chat.transfer.offered")
        await ben.send({"type": "chat.transfer.accept", "chat_id": chat.pk, "ref": "yes"})
        assert (await ben.until("ack"))["chat"]["claimed_by"] == "Ben"
        await ana.until("chat.transferred", lambda f: f["to"] == "Ben")
        assert (await patron.until("chat.transferred"))["to"] == "Ben"
        # Ben, a supervisor, sees the chat he holds in the list of his chats.
        await ben.send({"type": "chat.list", "librarian_id": ben_user.pk, "ref": "mine"})
        assert [c["id"] for c in (await ben.until("ack"))["chats"]] == [chat.pk]
        await ben.send({"type": "chat.transfer", "chat_id": chat.pk, "to_campus": "north"})
        assert (await ben.until("ack"))["to_campus"] == "north"
        await ana.until("chat.transferred", lambda f: f["to"] is None)
        await patron.until("chat.transferred", lambda f: f["to"] is None)
        await ana.send({"type": "chat.claim", "chat_id": chat.pk, "ref": "again"})
        await ana.until("ack")
        await patron.until("chat.claimed")
        # The timers of an active chat: the patron waits too long for Ana (dead air); then
        # Ana answers and the patron goes silent.
        past_red = timezone.now() + dt.timedelta(minutes=5)
        await database_sync_to_async(actions.do_alert_dead_air)(now=past_red)
        assert (await ana.until("alert"))["kind"] == "dead_air"
        # A flagged line alerts the holder (never the patron); a change of the panels'
        # guidance reaches every console.
        await database_sync_to_async(watch_and_advise)()
        await ana.until("safety.changed")
        await ben.until("safety.changed")
        await patron.send({"type": "message.send", "client_id": "p2", "body": "You n1ncompoops!"})
        assert (await ana.until("alert"))["kind"] == "abuse"
        await ana.send(
            {"type": "message.send", "chat_id": chat.pk, "client_id": "a2", "body": "Found it."}
        )
        await ana.until("ack")
        await patron.until("message", lambda f: f["body"] == "Found it.")
        silent_for = timezone.now() + dt.timedelta(minutes=30)
        await database_sync_to_async(actions.do_alert_silent_patrons)(now=silent_for)
        assert (await ana.until("alert"))["stage"] == "ask"

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

        # The waiting patron's tab closes: every console sees them gone, then back.
        visitor = keep(await patron_recorder(other_token, seen))
        await visitor.until("chat.state")
        await visitor.close()
        opened.remove(visitor)
        gone = await ana.until("patron.connection", lambda f: f["chat_id"] == other.pk)
        assert (gone["here"], gone["gone_since"] is not None) == (False, True)
        leaver = keep(await patron_recorder(other_token, seen))
        await leaver.until("chat.state")
        _behind, behind_token = await create(
            campus_slug="south", name="", email="", question="And on Sunday?"
        )
        behind = keep(await patron_recorder(behind_token, seen))
        assert (await behind.until("chat.state"))["chat"]["queue_position"] == 2
        before_leaving = await database_sync_to_async(get_newest_chat_event_id)()
        # The chat waits past its timers: its home window closes, its patron is offered a
        # ticket.
        later = timezone.now() + dt.timedelta(minutes=5)
        await database_sync_to_async(actions.do_close_home_windows)(now=later)
        await ben.until("chat.updated", lambda f: f["chat"]["id"] == other.pk)
        await database_sync_to_async(actions.do_offer_tickets)(now=later)
        await leaver.until("chat.ticket_offer")
        await leaver.send({"type": "chat.leave", "ref": "bye"})
        await leaver.until("ack")
        await ben.until("chat.ended", lambda f: f["chat_id"] == other.pk)
        await database_sync_to_async(actions.do_publish_queue_positions)(after_event=before_leaving)
        assert (await behind.until("queue.position"))["position"] == 1

        # From a chat to a ticket: the email asked for and given, the ticket offered and
        # taken by the patron, a librarian's chat ticketed, the ticket worked on.
        asker, asker_token = await create(
            campus_slug="north", name="Lee", email="", question="Interlibrary loan?"
        )
        asking = keep(await patron_recorder(asker_token, seen))
        await asking.until("chat.state")
        await ana.send({"type": "chat.claim", "chat_id": asker.pk, "ref": "c3"})
        await ana.until("ack")
        # Supervision: Ben (a supervisor) watches, writes a note, joins and leaves; Ana
        # calls for a supervisor.
        await ben.send({"type": "chat.watch", "chat_id": asker.pk, "ref": "w1"})
        assert (await ben.until("ack"))["chat"]["id"] == asker.pk
        await ben.send({"type": "chat.note", "chat_id": asker.pk, "body": "Hi", "ref": "w2"})
        await ben.until("ack")
        await ana.until("note")
        await ben.send({"type": "chat.join", "chat_id": asker.pk, "ref": "w3"})
        assert (await ben.until("ack"))["joined"] is True
        await ben.send({"type": "chat.leave_join", "chat_id": asker.pk, "ref": "w4"})
        assert (await ben.until("ack"))["joined"] is False
        await ben.send({"type": "chat.unwatch", "chat_id": asker.pk, "ref": "w5"})
        await ben.until("ack")
        await ana.send({"type": "chat.alert_supervisor", "chat_id": asker.pk, "ref": "w6"})
        assert (await ana.until("ack"))["supervisors_online"] == 1
        await ben.until("alert")
        await ana.send({"type": "chat.ask_email", "chat_id": asker.pk, "ref": "e1"})
        assert (await ana.until("ack"))["chat_id"] == asker.pk
        await asking.until("email.requested")
        await asking.send({"type": "email.set", "email": "lee@example.edu", "ref": "e2"})
        assert (await asking.until("ack"))["email"] == "lee@example.edu"
        await ana.until("chat.updated")
        await ana.send({"type": "chat.ticket", "chat_id": asker.pk, "ref": "t2"})
        made = await ana.until("ack")
        await asking.until("chat.ended")
        await asking.send({"type": "transcript.request", "email": "lee@example.edu", "ref": 7})
        assert (await asking.until("ack"))["email"] == "lee@example.edu"
        await ana.send({"type": "ticket.fetch", "ticket_id": made["ticket_id"], "ref": "t3"})
        assert (await ana.until("ack"))["ticket"]["transcript"]

        waiter, waiter_token = await create(
            campus_slug="south", name="", email="", question="Printing?"
        )
        waiting = keep(await patron_recorder(waiter_token, seen))
        await waiting.until("chat.state")
        # What the ticket-offer job sends when nobody has claimed the chat in time.
        await send_event(
            [chat_group(waiter.pk)], {"type": "chat.ticket_offer", "chat_id": waiter.pk}
        )
        await waiting.until("chat.ticket_offer")
        await waiting.send({"type": "chat.to_ticket", "email": "pat@example.edu", "ref": 8})
        assert (await waiting.until("ack"))["ticket_id"]

        # A console that was away learns how its chats ended.
        back = keep(await staff_recorder(ana_user, seen, after=snapshot["event_id"]))
        ended = (await back.until("snapshot"))["ended"]
        assert sorted(c["id"] for c in ended) == sorted([chat.pk, asker.pk])

        # Refused connections say why in an error frame before they close.
        stranger = Recorder(await open_socket("/ws/staff/"), "staff", seen)
        assert (await stranger.receive())["code"] == "unauthenticated"
        lost = Recorder(await open_socket("/ws/patron/no-such-token/"), "patron", seen)
        assert (await lost.receive())["code"] == "not_found"

        # Snippets: Ana saves a personal one and deletes it; her consoles are told.
        await ana.send(
            {"type": "snippet.save", "title": "ILL", "body": "Try {campus}'s ILL.", "ref": "s1"}
        )
        saved = (await ana.until("ack"))["snippet"]
        await ana.until("snippets")
        await ana.send({"type": "snippet.delete", "id": saved["id"], "ref": "s2"})
        assert (await ana.until("ack"))["snippet_id"] == saved["id"]
        await ana.until("snippets")
        # A global snippet added in the admin reaches every console.
        await database_sync_to_async(add_a_global_snippet)()
        for staff in (ana, ben):
            await staff.until("snippets.changed")
        # A contact added in the admin reaches every console.
        await database_sync_to_async(add_a_contact)()
        for staff in (ana, ben):
            await staff.until("directory.changed")

        # A supervisor blocks an abusive patron and reports the incident; only the
        # supervisors' consoles hear of the incident.
        rude, _rude_token = await create(
            campus_slug="north", name="", email="", question="abuse", address="203.0.113.50"
        )
        await ana.until("chat.created", lambda f: f["chat"]["id"] == rude.pk)
        await ben.send(
            {"type": "patron.block", "chat_id": rude.pk, "reason": "Abuse", "days": 1, "ref": "b1"}
        )
        assert (await ben.until("ack"))["ended_chat_ids"] == [rude.pk]
        assert (await ana.until("chat.ended"))["reason"] == "blocked"
        await ben.send(
            {
                "type": "incident.report",
                "chat_id": rude.pk,
                "kind": "abuse",
                "what_happened": "Insults",
                "actions_taken": "Blocked for a day",
                "follow_up": "",
                "ref": "i1",
            }
        )
        reported = (await ben.until("ack"))["incident_id"]
        assert (await ben.until("incident.created"))["incident"]["id"] == reported

        await ana.send({"type": "presence.set", "status": "away", "ref": "p1"})
        assert (await ana.until("ack"))["presence"]["status"] == "away"
        await ben.until("presence", lambda f: (f["display_name"], f["status"]) == ("Ana", "away"))
        await ben.close()
        opened.remove(ben)
        # Ben's grace period ends (the sweeper's job): with Ana away, nobody is online.
        grace_over = timezone.now() + dt.timedelta(seconds=61)
        assert await run_action(do_end_grace_periods, now=grace_over) == [ben_user.pk]
        await ana.until(
            "presence", lambda f: (f["display_name"], f["status"]) == ("Ben", "offline")
        )
        assert (await patron.until("desk.status"))["online"] is False
    finally:
        for recorder in opened:
            await recorder.close()

    missing = every_declared_form() - seen
    assert not missing, f"the conversation never produced {sorted(missing)}"
    assert await database_sync_to_async(Chat.objects.filter(state="ended").count)() == 6
