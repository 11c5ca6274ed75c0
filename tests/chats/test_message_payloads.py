"""Message payloads read in bulk are exactly the payloads of the stored messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.utils import timezone

from refdesk.chats.models import Chat, Message, Sender
from refdesk.chats.selectors import list_message_payloads, list_messages, message_payload

pytestmark = pytest.mark.django_db


@pytest.mark.engines
def test_bulk_payloads_equal_each_message_s_own_payload(
    new_chat: Callable[..., tuple[Chat, str]],
) -> None:
    first, _ = new_chat(name="Sam", question='Where are the "APA" guides? — ünïcödé 📚')
    second, _ = new_chat(name="Ali", question="Opening hours?")
    on_the_second = timezone.now().replace(microsecond=0)
    lines = [
        (first, Sender.PATRON, "a line\nwith a break", "c1", on_the_second),
        (first, Sender.LIBRARIAN, "back\\slash and 'quotes'", None, timezone.now()),
        (first, Sender.SYSTEM, "The chat has ended.", None, on_the_second + dt.timedelta(1)),
        (second, Sender.PATRON, "", "c2", timezone.now()),
    ]
    for chat, sender, body, client_id, at in lines:
        chat.last_seq += 1
        chat.save(update_fields=["last_seq"])
        Message.objects.create(
            chat=chat,
            seq=chat.last_seq,
            sender=sender,
            body=body,
            client_id=client_id,
            sender_name="Ana" if sender == Sender.LIBRARIAN else "",
            created_at=at,
        )

    expected = {
        chat.pk: [message_payload(m) for m in chat.messages.order_by("seq")]
        for chat in (first, second)
    }
    assert list_message_payloads([second.pk, first.pk, 999_999]) == {
        **expected,
        999_999: [],
    }
    assert list_messages(first, after=2) == expected[first.pk][2:]
    assert list_message_payloads([]) == {}
