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

    class Meta:
        ordering = ("position", "name")
        verbose_name_plural = "campuses"

    def __str__(self) -> str:
        return self.name


class OpeningHours(models.Model):
    """One opening period on one weekday (0 = Monday); a day without rows is closed."""

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
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")), name="hours_close_after_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.campus} {self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"
