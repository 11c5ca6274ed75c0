"""Librarians: a staff profile beside Django's user, and their console connections."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from refdesk.campuses.models import Campus


class Role(models.TextChoices):
    LIBRARIAN = "librarian", "Librarian"
    SUPERVISOR = "supervisor", "Supervisor"
    ADMIN = "admin", "Admin"


class Status(models.TextChoices):
    ONLINE = "online", "Online"
    AWAY = "away", "Away"


class Librarian(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="librarian"
    )
    display_name = models.CharField(max_length=80)
    home_campus = models.ForeignKey(Campus, on_delete=models.PROTECT, related_name="librarians")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.LIBRARIAN)
    # What the librarian chose, or what inactivity made it: online or away. With no fresh
    # console connection they are offline whatever this says.
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ONLINE)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # When the last console connection went (null while one is open): the offline grace
    # period counts from here.
    gone_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("display_name",)

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_supervisor(self) -> bool:
        return self.role in {Role.SUPERVISOR, Role.ADMIN}


class ConsoleConnection(models.Model):
    """One open console socket. A librarian with a fresh one counts as online.

    The process that holds the socket touches ``seen_at`` on every sweep; a process that
    dies leaves rows that go stale and are swept away by any other process.
    """

    librarian = models.ForeignKey(Librarian, on_delete=models.CASCADE, related_name="connections")
    channel_name = models.CharField(max_length=200, unique=True)
    process = models.CharField(max_length=64, db_index=True)
    connected_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.librarian} on {self.process}"
