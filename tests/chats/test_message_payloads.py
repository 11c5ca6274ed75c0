"""Message payloads read in bulk are exactly the payloads of the stored messages."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest
from django.utils import timezone

from refdesk.chats.models import Chat, Message, Sender
from refdesk.chats.selectors import (
    list_message_payloads,
    list_messages,
    list_messages_json,
    message_payload,
)
from refdesk.core.realtime import EncodedEvent, JSONText, encode

pytestmark = pytest.mark.django_db


@pytest.mark.engines
def test_bulk_payloads_equal_each_message_s_own_payload(
    new_chat: Callable[..., tuple[Chat, str]],
) -> None:
    first, _ = new_chat(name="Sam", question='Where are the "APA" guides? — ünïcödé 📚')
    second, _ = new_chat(name="Ali", question="Do you have maps?")
    # A question about hours is answered at once, by a line marked automatic.
    third, _ = new_chat(name="Lee", question="Opening hours?")
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
        for chat in (first, second, third)
    }
    assert [m.get("automatic") for m in expected[third.pk]] == [None, True]
    assert list_message_payloads([second.pk, first.pk, third.pk, 999_999]) == {
        **expected,
        999_999: [],
    }
    assert list_messages(first, after=2) == expected[first.pk][2:]
    assert list_message_payloads([]) == {}


def store(chat: Chat, seq: int, body: str, sender: str = Sender.PATRON) -> None:
    Message.objects.create(
        chat=chat,
        seq=seq,
        sender=sender,
        body=body,
        sender_name="Ana" if sender == Sender.LIBRARIAN else "",
        created_at=timezone.now(),
    )


@pytest.mark.engines
def test_messages_as_json_text_are_the_payloads_in_seq_order_whatever_order_they_were_stored(
    new_chat: Callable[..., tuple[Chat, str]],
) -> None:
    first, _ = new_chat(name="Sam", question="first")
    second, _ = new_chat(name="Ali", question="second")
    # Stored out of order: the text must still be in seq order.
    base = first.last_seq
    for seq in (base + 3, base + 1, base + 4, base + 2):
        store(first, seq, f'line {seq} "quoted" \\ </script> 📚')
    store(second, second.last_seq + 1, "only")

    texts = list_messages_json([second.pk, first.pk, 999_999])
    assert set(texts) == {first.pk, second.pk, 999_999}
    payloads = list_message_payloads([first.pk, second.pk])
    assert json.loads(texts[first.pk].text) == payloads[first.pk]
    assert [m["seq"] for m in json.loads(texts[first.pk].text)] == list(range(1, base + 5))
    assert json.loads(texts[second.pk].text) == payloads[second.pk]
    assert json.loads(texts[999_999].text) == []
    later = json.loads(list_messages_json([first.pk], after=base + 2)[first.pk].text)
    assert [m["seq"] for m in later] == [base + 3, base + 4]
    assert list_messages_json([]) == {}


def test_json_text_goes_into_a_frame_as_it_is_and_a_body_cannot_pose_as_it() -> None:
    """The splice puts each JSONText where it stands; a string that looks like the
    placeholder (from a patron, say) stays a string."""
    raw = '[{"seq":1,"body":"x"}]'
    frame = {
        "type": "ack",
        "chat": {"messages": JSONText(raw), "patron_name": ":0", "question": '"x:0"'},
        "more": [JSONText("[]"), JSONText('{"a":1}')],
        "text": "plain",
    }
    text = encode(frame)
    assert json.loads(text) == {
        "type": "ack",
        "chat": {"messages": [{"seq": 1, "body": "x"}], "patron_name": ":0", "question": '"x:0"'},
        "more": [[], {"a": 1}],
        "text": "plain",
    }
    assert EncodedEvent.of(frame).text == text
    # Frames without JSONText are encoded as before.
    assert encode({"type": "x", "n": 1}) == '{"type":"x","n":1}'
    with pytest.raises(TypeError):
        encode({"type": "x", "when": object()})
