"""Chats, their messages, and the event log that is both audit trail and resume log."""

from __future__ import annotations

from django.db import models

from refdesk.accounts.models import Librarian
from refdesk.campuses.models import Campus


class ChatState(models.TextChoices):
    WAITING = "waiting", "Waiting"
    ACTIVE = "active", "Active"
    ENDED = "ended", "Ended"


class EndReason(models.TextChoices):
    CLOSED = "closed", "Closed by the librarian"
    PATRON_LEFT = "patron_left", "Patron left"
    IDLE = "idle", "Idle"
    TICKETED = "ticketed", "Turned into a ticket"
    BLOCKED = "blocked", "Patron blocked"
    UNANSWERED = "unanswered", "Unanswered"
    # A supervisor cleared it from the queue unanswered (a flood of spam).
    DISMISSED = "dismissed", "Dismissed by a supervisor"


class Sender(models.TextChoices):
    PATRON = "patron", "Patron"
    LIBRARIAN = "librarian", "Librarian"
    SYSTEM = "system", "System"


class Chat(models.Model):
    campus = models.ForeignKey(Campus, on_delete=models.PROTECT, related_name="chats")
    state = models.CharField(max_length=8, choices=ChatState.choices, default=ChatState.WAITING)
    end_reason = models.CharField(max_length=12, choices=EndReason.choices, blank=True)
    # Only a hash of the patron's bearer token is kept: a copy of the database opens no chat.
    token_hash = models.CharField(max_length=64, unique=True)
    patron_name = models.CharField(max_length=120, blank=True)
    patron_email = models.CharField(max_length=254, blank=True)
    question = models.TextField()
    name_was_question = models.BooleanField(default=False)
    page_url = models.CharField(max_length=2000, blank=True)
    # What the browser's user-agent says in short ("Chrome 120 on Android"); the raw
    # string, which can single a patron out, is never kept.
    browser = models.CharField(max_length=80, blank=True)
    ip_hash = models.CharField(max_length=64, blank=True)
    # A salted hash of the widget's random browser id (``intake.actions.hash_browser_id``),
    # so that a block reaches the same browser again; the id itself is never kept.
    browser_hash = models.CharField(max_length=64, blank=True)
    librarian = models.ForeignKey(
        Librarian, null=True, blank=True, on_delete=models.SET_NULL, related_name="chats"
    )
    last_seq = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Set when the retention period removed the patron's details and the message text.
    purged_at = models.DateTimeField(null=True, blank=True)

    # The timers of a waiting chat, each a stored time that the sweeper's jobs compare with
    # the clock (so one process or several, and a restart, give one result):
    # since when it waits (reset when it goes back to a queue),
    waiting_since = models.DateTimeField(null=True, blank=True)
    # until when only its campus's librarians are rung, and when that window was closed,
    home_until = models.DateTimeField(null=True, blank=True)
    home_ended_at = models.DateTimeField(null=True, blank=True)
    # and when the patron is offered a ticket instead, and when they were.
    ticket_offer_at = models.DateTimeField(null=True, blank=True)
    ticket_offered_at = models.DateTimeField(null=True, blank=True)

    # A transfer offered by the holder to another librarian, pending until it expires.
    offer_to = models.ForeignKey(
        Librarian, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    offer_from = models.ForeignKey(
        Librarian, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    offer_expires_at = models.DateTimeField(null=True, blank=True)

    # A supervisor (or admin) who joined the chat to write to the patron beside its holder;
    # the message path reads it with its locked read of the chat, so it costs no query.
    joined = models.ForeignKey(
        Librarian, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # The gravest flag of the chat's patron lines so far ("threat", "crisis", "abuse"; ""
    # for none), kept by the message path in the same UPDATE that moves ``last_seq``, so
    # that a queue row shows it after a reconnect at no cost to the message.
    flag = models.CharField(max_length=8, blank=True, default="", db_default="")

    # The patron's connection: when their last socket closed (null while one is open).
    patron_gone_at = models.DateTimeField(null=True, blank=True)

    # The timers of an active chat (no dead air, silent patrons), kept by the message path
    # in the same UPDATE that moves ``last_seq``:
    # since when the patron's message waits for the librarian's reply (set at the claim and
    # by the first unanswered patron message, cleared by a librarian message; a librarian
    # who only types does not clear it), and when its dead-air alert was sent (the alert
    # of a stretch is due while this is null or older than the stretch),
    patron_waiting_since = models.DateTimeField(null=True, blank=True)
    dead_air_alerted_at = models.DateTimeField(null=True, blank=True)
    # the time of the librarian's latest message the patron has not answered (cleared by a
    # patron message), when the patron was asked whether they are still there, and when
    # ending the chat was suggested (both cleared by a patron message).
    patron_silent_since = models.DateTimeField(null=True, blank=True)
    silent_asked_at = models.DateTimeField(null=True, blank=True)
    silent_end_at = models.DateTimeField(null=True, blank=True)
    # No index on these: a message would pay for it, and the jobs read the few active chats
    # through the (state, created_at) index.
    # When the desk last answered a question about hours automatically while the chat
    # waited: it answers again only some minutes later (``do_answer_hours_question``).
    hours_answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["state", "created_at"]),
            # The timers' jobs: waiting chats by each stored time.
            models.Index(fields=["state", "home_until"], name="chat_state_home_until"),
            models.Index(fields=["state", "ticket_offer_at"], name="chat_state_offer_at"),
            models.Index(fields=["offer_expires_at"], name="chat_offer_expires"),
        ]

    def __str__(self) -> str:
        return f"Chat {self.pk} ({self.campus.slug}, {self.state})"


class Message(models.Model):
    # Every insert pays for every index, and this table takes one insert per message: the
    # unique (chat, seq) index already serves lookups by chat, and nothing looks messages
    # up by librarian (removing a librarian, which is rare, may scan).
    chat = models.ForeignKey(
        Chat, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    seq = models.PositiveIntegerField()
    sender = models.CharField(max_length=9, choices=Sender.choices)
    librarian = models.ForeignKey(
        Librarian,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    sender_name = models.CharField(max_length=120, blank=True)
    body = models.TextField()
    # The sending client's own id for the message, so a resend is stored once; null for
    # messages without one (system lines), which a unique index lets repeat.
    client_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField()
    # A system line the desk wrote by itself (the hours answer), shown as "Automatic answer".
    automatic = models.BooleanField(default=False, db_default=False)
    # A patron's line that the screen flagged (chats/screening.py): "abuse", "threat" or
    # "crisis"; "" otherwise. Staff see it, the patron never does.
    flag = models.CharField(max_length=8, blank=True, default="", db_default="")

    class Meta:
        ordering = ("chat", "seq")
        constraints = [
            models.UniqueConstraint(fields=["chat", "seq"], name="message_seq_unique"),
            models.UniqueConstraint(
                fields=["chat", "sender", "client_id"], name="message_client_id_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.chat_id}#{self.seq} {self.sender}"


class ChatNote(models.Model):
    """An internal note on a chat: written by its holder or a supervisor, read by staff
    only. Never sent to the patron, never in their transcript; the retention purge deletes
    it with the chat's text."""

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        Librarian, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(max_length=120, blank=True)
    body = models.TextField()
    # The writing console's own id for the note, so that a resend is stored once.
    client_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField()

    class Meta:
        ordering = ("chat", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["chat", "author", "client_id"], name="chat_note_client_id_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"note {self.pk} on chat {self.chat_id}"


class ChatEvent(models.Model):
    """One state change of a chat, exactly as it was sent to the staff socket (a dismissal
    adds the supervisor's ``note``, which is kept for the record and not sent).

    The id is the staff socket's resume cursor (``/ws/staff/?after=<id>``).
    """

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=40)
    actor = models.ForeignKey(
        Librarian, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return f"{self.pk} {self.type} chat {self.chat_id}"


class PatronConnection(models.Model):
    """One open patron socket of a waiting or active chat. The chat's patron is here while
    it has a fresh one, in any process; when the last goes, ``Chat.patron_gone_at`` is set.

    As for consoles (``accounts.ConsoleConnection``), the process that holds the socket
    touches ``seen_at`` on every sweep; a process that dies leaves rows that go stale and
    are swept away by any other process.
    """

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="patron_connections")
    channel_name = models.CharField(max_length=200, unique=True)
    process = models.CharField(max_length=64, db_index=True)
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"chat {self.chat_id} on {self.process}"


class InterviewQuestion(models.Model):
    """A reference-interview question shown beside every chat, in the librarians' own
    words ("What is it for?"), one click from the composer; set up in the admin."""

    text = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("position", "pk")

    def __str__(self) -> str:
        return self.text
