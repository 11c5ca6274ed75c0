"""The supervisors' safety pages and the ask page's notice for a blocked address."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from refdesk.accounts.models import Librarian
from refdesk.chats import actions as chat_actions
from refdesk.chats.models import Chat
from refdesk.core.models import AuditEntry
from refdesk.safety import actions
from refdesk.safety.models import Block, Incident

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.9"
HOSTILE = '<script>alert("x")</script>'


@pytest.fixture
def blocked(online: Librarian) -> tuple[Chat, Block]:
    chat, _ = chat_actions.check_create_chat(
        campus_slug="north", name="Sam", email="", question="hi", address=ADDRESS, browser_id="b-1"
    )
    chat_actions.do_claim_chat(chat.pk, acting_librarian=online)
    block, _ = actions.check_block_patron(online, chat_id=chat.pk, reason=HOSTILE, days=7)
    return chat, block


def _as(librarian: Librarian) -> Client:
    client = Client()
    client.force_login(librarian.user)
    return client


def test_the_blocks_page_shows_reasons_escaped_and_never_a_hash(
    blocked: tuple[Chat, Block], make_librarian: Callable[..., Librarian]
) -> None:
    chat, block = blocked
    page = _as(make_librarian("bo", role="supervisor")).get("/console/safety/blocks/")
    html = page.content.decode()
    assert page.status_code == 200
    assert HOSTILE not in html
    assert "&lt;script&gt;" in html
    assert block.ip_hash not in html
    assert block.browser_hash not in html
    assert f"chat {chat.pk}" in html


def test_a_supervisor_lifts_a_block_from_the_page_with_a_note(
    blocked: tuple[Chat, Block], make_librarian: Callable[..., Librarian]
) -> None:
    _chat, block = blocked
    boss = _as(make_librarian("bo", role="supervisor"))
    refused = boss.post(f"/console/safety/blocks/{block.pk}/lift/", {"note": ""})
    assert refused.status_code == 400
    assert "Note is required." in refused.content.decode()
    assert Block.objects.get().lifted_at is None
    done = boss.post(f"/console/safety/blocks/{block.pk}/lift/", {"note": "Apologised"})
    assert (done.status_code, done["Location"]) == (302, "/console/safety/blocks/")
    assert Block.objects.get().lift_note == "Apologised"
    assert "Apologised" in boss.get("/console/safety/blocks/").content.decode()


def test_a_librarian_gets_403_on_the_pages_and_the_forms_and_nothing_changes(
    blocked: tuple[Chat, Block], online: Librarian
) -> None:
    chat, block = blocked
    incident = actions.check_report_incident(
        online, chat_id=chat.pk, kind="abuse", what_happened="Insults"
    )
    client = _as(online)
    for path, data in [
        (f"/console/safety/blocks/{block.pk}/lift/", {"note": "x"}),
        (f"/console/safety/incidents/{incident.pk}/close/", {"note": "x"}),
        (f"/console/safety/incidents/{incident.pk}/follow-up/", {"follow_up": "x"}),
    ]:
        assert client.post(path, data).status_code == 403
    assert client.get(f"/console/safety/incidents/{incident.pk}/").status_code == 403
    assert Block.objects.get().lifted_at is None
    assert Incident.objects.get().status == "open"
    assert not AuditEntry.objects.filter(action__in=["block.lift", "incident.close"]).exists()
    assert "Blocks" not in Client().get("/").content.decode()


def test_a_supervisor_filters_follows_up_and_closes_incidents(
    blocked: tuple[Chat, Block], online: Librarian, make_librarian: Callable[..., Librarian]
) -> None:
    chat, _block = blocked
    threat = actions.check_report_incident(
        online, chat_id=chat.pk, kind="threat", what_happened=HOSTILE
    )
    crisis = actions.check_report_incident(
        online, chat_id=chat.pk, kind="crisis", what_happened="Spoke of self-harm"
    )
    boss = _as(make_librarian("bo", role="admin"))
    listing = boss.get("/console/safety/incidents/", {"kind": "threat"}).content.decode()
    assert f"Incident {threat.pk}<" in listing
    assert f"Incident {crisis.pk}<" not in listing
    detail = boss.get(f"/console/safety/incidents/{threat.pk}/").content.decode()
    assert HOSTILE not in detail and "&lt;script&gt;" in detail
    boss.post(f"/console/safety/incidents/{threat.pk}/follow-up/", {"follow_up": "Security told"})
    closed = boss.post(f"/console/safety/incidents/{threat.pk}/close/", {"note": "Handled"})
    assert closed.status_code == 302
    stored = Incident.objects.get(pk=threat.pk)
    assert (stored.status, stored.follow_up, stored.close_note) == (
        "closed",
        "Security told",
        "Handled",
    )
    open_only = boss.get("/console/safety/incidents/").content.decode()
    assert f"Incident {threat.pk}<" not in open_only
    assert f"Incident {crisis.pk}<" in open_only
    dated = boss.get(
        "/console/safety/incidents/",
        {"status": "all", "since": "2001-01-01", "until": "2001-01-02"},
    ).content.decode()
    assert "No incident matches." in dated


def test_a_refused_close_or_follow_up_shows_the_error_beside_its_field_and_keeps_the_incident(
    blocked: tuple[Chat, Block], online: Librarian, make_librarian: Callable[..., Librarian]
) -> None:
    chat, _block = blocked
    incident = actions.check_report_incident(
        online, chat_id=chat.pk, kind="abuse", what_happened="Insults"
    )
    boss = _as(make_librarian("bo", role="supervisor"))
    page = f"/console/safety/incidents/{incident.pk}/"
    empty_note = boss.post(f"{page}close/", {"note": "  "})
    assert empty_note.status_code == 400
    assert 'id="close-error"' in empty_note.content.decode()
    assert 'id="follow-up-error"' not in empty_note.content.decode()
    too_long = boss.post(f"{page}follow-up/", {"follow_up": "x" * 4001})
    assert too_long.status_code == 400
    assert 'id="follow-up-error"' in too_long.content.decode()
    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.status, stored.follow_up, stored.close_note) == ("open", "", "")
    assert not AuditEntry.objects.filter(
        action__in=["incident.close", "incident.follow_up"]
    ).exists()


def test_the_ask_page_shows_a_blocked_address_a_neutral_notice_and_no_form(
    blocked: tuple[Chat, Block],
) -> None:
    page = Client(REMOTE_ADDR=ADDRESS).get("/ask/north/").content.decode()
    assert "The chat service isn&#x27;t available to you right now." in page
    assert '<form id="prechat" class="stack" novalidate hidden>' in page
    assert "block" not in page.lower().replace("display: block", "")
    assert HOSTILE not in page and "&lt;script&gt;" not in page
    other = Client(REMOTE_ADDR="198.51.100.1").get("/ask/north/").content.decode()
    assert '<form id="prechat" class="stack" novalidate>' in other
    assert (
        'id="unavailable" class="notice unavailable" aria-labelledby="unavailable-title" hidden'
        in other
    )
