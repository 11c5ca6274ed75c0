"""Snippets: canned messages a librarian puts into the composer, for everyone (global), for
one campus's chats, or for one librarian alone (personal)."""

from __future__ import annotations

from django.db import models

from refdesk.accounts.models import Librarian
from refdesk.campuses.models import Campus

TITLE_MAX = 80
BODY_MAX = 4000
SHORTCUT_MAX = 30


class Scope(models.TextChoices):
    GLOBAL = "global", "Global"
    CAMPUS = "campus", "Campus"
    PERSONAL = "personal", "Personal"


class Purpose(models.TextChoices):
    """What a line is for, so that the console finds "the greeting" or "the closing line"
    without reading titles (which each library words its own way)."""

    NONE = "", "—"
    GREETING = "greeting", "Greeting by name"
    ASK_NAME = "ask_name", "Ask for the name"
    ASK_EMAIL = "ask_email", "Ask for the email"
    IDENTIFY = "identify", "Identify yourself (another campus)"
    STILL_LOOKING = "still_looking", "Still looking"
    BE_RIGHT_BACK = "be_right_back", "Be right back"
    STILL_THERE = "still_there", "Are you still there?"
    CLOSING = "closing", "Closing line"
    # Offered by the safety panels beside a flagged chat.
    WARNING = "warning", "Warning (abusive or threatening patron)"
    COMPASSION = "compassion", "Compassion (patron in crisis)"


class Snippet(models.Model):
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.GLOBAL)
    # Set for a campus snippet only.
    campus = models.ForeignKey(
        Campus, on_delete=models.CASCADE, null=True, blank=True, related_name="snippets"
    )
    # Set for a personal snippet only.
    owner = models.ForeignKey(
        Librarian, on_delete=models.CASCADE, null=True, blank=True, related_name="snippets"
    )
    title = models.CharField(max_length=TITLE_MAX)
    body = models.TextField(max_length=BODY_MAX)
    # Typed after "/" in the composer: lower-case letters, digits and hyphens.
    shortcut = models.CharField(max_length=SHORTCUT_MAX, blank=True)
    purpose = models.CharField(max_length=16, choices=Purpose.choices, blank=True, default="")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("position", "title", "pk")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(scope="global", campus__isnull=True, owner__isnull=True)
                    | models.Q(scope="campus", campus__isnull=False, owner__isnull=True)
                    | models.Q(scope="personal", campus__isnull=True, owner__isnull=False)
                ),
                name="snippet_scope_matches_its_campus_and_owner",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def scope_label(self) -> str:
        """ "Global", "North Campus" or "Ana's": where the snippet belongs."""
        if self.scope == Scope.CAMPUS and self.campus is not None:
            return self.campus.name
        if self.scope == Scope.PERSONAL and self.owner is not None:
            return f"{self.owner.display_name}'s"
        return "Global"
