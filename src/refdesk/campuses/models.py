"""Campuses: one library location each, with its queue, colour and opening hours."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models

COLOUR_VALIDATOR = RegexValidator(r"^#[0-9a-fA-F]{6}$", "A colour is #rrggbb.")


class Campus(models.Model):
    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    # The badge colour in the console; text on it is chosen for contrast.
    colour = models.CharField(max_length=7, validators=[COLOUR_VALIDATOR], default="#1f5f8b")
    timezone = models.CharField(max_length=64, default="America/New_York")
    website = models.URLField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    # A short cheat sheet for librarians answering for this campus (plain text), shown in
    # the campus panel beside each of its chats; supervisors and admins edit it.
    staff_notes = models.TextField(blank=True, default="", db_default="")

    class Meta:
        ordering = ("position", "name")
        verbose_name_plural = "campuses"

    def __str__(self) -> str:
        return self.name


class OpeningHours(models.Model):
    """One opening period on one weekday (0 = Monday); a day without rows is closed.

    Times are the campus's wall clock. A period whose ``closes`` is not after its ``opens``
    runs past midnight and closes the next morning ("20:00-02:00"; "00:00-00:00" is the
    whole day). A period belongs to the day it opens on.
    """

    campus = models.ForeignKey(Campus, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(
        choices=[
            (0, "Monday"),
            (1, "Tuesday"),
            (2, "Wednesday"),
            (3, "Thursday"),
            (4, "Friday"),
            (5, "Saturday"),
            (6, "Sunday"),
        ]
    )
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ("campus", "weekday", "opens")
        verbose_name_plural = "opening hours"

    def __str__(self) -> str:
        return f"{self.campus} {self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class Closure(models.Model):
    """The campus is closed from ``starts`` to ``ends`` (dates, both included), whatever
    its week or special hours say: a holiday, a break, a closure for works."""

    campus = models.ForeignKey(Campus, on_delete=models.CASCADE, related_name="closures")
    starts = models.DateField()
    ends = models.DateField()
    reason = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ("campus", "starts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends__gte=models.F("starts")), name="closure_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.campus} closed {self.starts}..{self.ends}"


class SpecialHours(models.Model):
    """One opening period on one date, in place of that weekday's hours (exam weeks, a
    short day before a holiday). Several rows on one date are several periods; as for the
    week, a period whose ``closes`` is not after ``opens`` runs past midnight."""

    campus = models.ForeignKey(Campus, on_delete=models.CASCADE, related_name="special_hours")
    date = models.DateField()
    opens = models.TimeField()
    closes = models.TimeField()
    note = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ("campus", "date", "opens")
        verbose_name_plural = "special hours"

    def __str__(self) -> str:
        return f"{self.campus} {self.date} {self.opens:%H:%M}-{self.closes:%H:%M}"


class LinkKind(models.TextChoices):
    HOME = "home", "Home page"
    CATALOGUE = "catalogue", "Catalogue"
    DATABASES = "databases", "Databases"
    HOURS = "hours", "Hours page"
    PROXY = "proxy", "Proxy prefix"
    OTHER = "other", "Other"


class CampusLink(models.Model):
    """A titled address kept for a campus, for librarians to send during a chat."""

    campus = models.ForeignKey(Campus, on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(max_length=12, choices=LinkKind.choices, default=LinkKind.OTHER)
    title = models.CharField(max_length=120)
    url = models.URLField(max_length=500)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("campus", "position", "pk")

    def __str__(self) -> str:
        return f"{self.campus}: {self.title}"
