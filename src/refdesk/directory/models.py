"""The directory: the contacts a librarian may need in a hard moment (a campus's
counselling centre, its security desk, the national crisis lines) or for a patron's
question beyond the library (IT help desk, writing centre), and the courses librarians are
pointed to. Staff data only: nothing here is about patrons."""

from __future__ import annotations

from django.db import models

from refdesk.campuses.models import Campus

NAME_MAX = 120
ROLE_MAX = 120
PHONE_MAX = 40
EMAIL_MAX = 254
LINK_MAX = 500
AVAILABLE_MAX = 120
NOTE_MAX = 1000
TITLE_MAX = 160
PROVIDER_MAX = 120
COST_MAX = 60
LENGTH_MAX = 60
WHY_MAX = 1000


class Category(models.TextChoices):
    """What a contact is for; the console picks contacts by category (the campus panel
    its campus's helpers, the crisis panel counselling, security, emergency and the crisis
    lines)."""

    COUNSELLING = "counselling", "Counselling"
    SECURITY = "security", "Campus security"
    IT_HELP_DESK = "it_help_desk", "IT help desk"
    DISABILITY_SERVICES = "disability_services", "Disability services"
    WRITING_CENTRE = "writing_centre", "Writing centre"
    LIBRARY_STAFF = "library_staff", "Library staff"
    EMERGENCY = "emergency", "Emergency"
    # National lines for someone in crisis (988, Crisis Text Line), kept apart from
    # emergency services so that the crisis panel can list them on their own.
    CRISIS_LINE = "crisis_line", "Crisis line"


class Contact(models.Model):
    name = models.CharField(max_length=NAME_MAX)
    role = models.CharField(max_length=ROLE_MAX, blank=True, default="")
    # None: for the whole consortium (a national line, the consortium's own staff).
    # A campus with contacts is not deleted until they are moved or removed.
    campus = models.ForeignKey(
        Campus, on_delete=models.PROTECT, null=True, blank=True, related_name="contacts"
    )
    category = models.CharField(max_length=24, choices=Category.choices)
    phone = models.CharField(max_length=PHONE_MAX, blank=True, default="")
    email = models.CharField(max_length=EMAIL_MAX, blank=True, default="")
    link = models.CharField(max_length=LINK_MAX, blank=True, default="")
    # When someone answers, in people's words: "24/7", "Mon–Fri 9–5".
    available = models.CharField(max_length=AVAILABLE_MAX, blank=True, default="")
    note = models.TextField(max_length=NOTE_MAX, blank=True, default="")
    position = models.PositiveSmallIntegerField(default=0)
    # An inactive contact stays in the admin but leaves the console.
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ("campus__position", "campus__name", "position", "name", "pk")

    def __str__(self) -> str:
        return self.name

    def place(self) -> str:
        """ "North Campus Library" or "Consortium-wide": where the contact serves."""
        return self.campus.name if self.campus is not None else "Consortium-wide"


class Course(models.Model):
    title = models.CharField(max_length=TITLE_MAX)
    provider = models.CharField(max_length=PROVIDER_MAX)
    link = models.CharField(max_length=LINK_MAX)
    # In people's words: "Free", "Free (audit)", "$25".
    cost = models.CharField(max_length=COST_MAX, blank=True, default="")
    # "About 2 hours", "Self-paced, 6 modules".
    length = models.CharField(max_length=LENGTH_MAX, blank=True, default="")
    why = models.TextField(max_length=WHY_MAX, blank=True, default="")
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ("position", "title", "pk")

    def __str__(self) -> str:
        return self.title
