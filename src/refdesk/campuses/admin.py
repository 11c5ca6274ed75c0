"""Campuses in the admin: one page for a campus, its weekly hours, closures, special hours
and links, every change saved through the actions in ``campuses/actions.py``."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from refdesk.campuses import actions
from refdesk.campuses.actions import ClosureSpec, LinkSpec, SpecialDaySpec
from refdesk.campuses.models import Campus, CampusLink, Closure, OpeningHours, SpecialHours
from refdesk.campuses.periods import Period, format_periods, parse_periods
from refdesk.campuses.selectors import get_hours_today, get_opening_status, get_weekly_hours
from refdesk.core.admin import (
    SetupAdmin,
    SetupInline,
    actor_of,
    as_validation_error,
    check_plain_text,
)
from refdesk.core.errors import ActionError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_HOURS_HELP = (
    'Opening periods on the 24-hour clock, separated by commas: "08:00-12:00, 13:00-22:00". '
    "Empty: closed. A period that closes at or before it opens runs past midnight "
    '("20:00-02:00").'
)


@functools.cache
def _timezone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


def _http_only(value: str) -> str:
    if value and not value.lower().startswith(("http://", "https://")):
        raise ValidationError("An address starts with http:// or https://.", code="invalid")
    return value


def _day_field(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=200,
        help_text=help_text,
        widget=forms.TextInput(attrs={"placeholder": "closed", "size": 32}),
    )


class CampusForm(forms.ModelForm):  # type: ignore[type-arg]
    """The campus's own fields and its week, one text field a day; ``clean`` checks them
    all as the actions will, so that a save that passes it writes everything or
    nothing."""

    timezone = forms.TypedChoiceField(
        choices=_timezone_choices,
        initial="America/New_York",
        help_text="The campus's hours are read on this zone's clock.",
    )
    website = forms.URLField(required=False, max_length=200, assume_scheme="https")

    class Meta:
        model = Campus
        fields = ("slug", "name", "colour", "timezone", "website", "position", "staff_notes")
        widgets = {
            "colour": forms.TextInput(attrs={"type": "color"}),
            "staff_notes": forms.Textarea(attrs={"rows": 5, "cols": 60}),
        }
        help_texts = {
            "slug": "In the address /ask/<slug>/: lower-case letters, digits and hyphens.",
            "colour": "The campus's badge colour in the console; dark enough to read on white.",
            "staff_notes": (
                "A short cheat sheet for librarians answering this campus's chats, shown "
                "beside each of them (plain text). Supervisors may also edit it in the console."
            ),
        }

    monday = _day_field("Monday", _HOURS_HELP)
    tuesday = _day_field("Tuesday")
    wednesday = _day_field("Wednesday")
    thursday = _day_field("Thursday")
    friday = _day_field("Friday")
    saturday = _day_field("Saturday")
    sunday = _day_field("Sunday")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            days: dict[int, list[Period]] = {}
            for row in OpeningHours.objects.filter(campus=self.instance).order_by("opens"):
                days.setdefault(row.weekday, []).append((row.opens, row.closes))
            for index, day in enumerate(WEEKDAYS):
                self.initial.setdefault(day, format_periods(days.get(index, [])))
        self.weekly_hours: dict[int, list[Period]] = {}

    def clean_name(self) -> str:
        return check_plain_text(self.cleaned_data["name"], field="name", max_chars=120)

    def clean_staff_notes(self) -> str:
        try:
            return actions.clean_staff_notes(self.cleaned_data["staff_notes"])
        except ActionError as error:
            raise as_validation_error(error) from error

    def clean_website(self) -> str:
        return _http_only(self.cleaned_data["website"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # noqa: S101 (ModelForm.clean returns its data)
        if all(key in cleaned for key in ("slug", "name", "colour", "timezone")):
            try:
                actions.check_campus_fields(
                    slug=cleaned["slug"],
                    name=cleaned["name"],
                    colour=cleaned["colour"],
                    timezone=cleaned["timezone"],
                )
            except ActionError as error:
                self.add_error(error.extra.get("field"), as_validation_error(error))
        hours: dict[int, list[Period]] = {}
        for index, day in enumerate(WEEKDAYS):
            try:
                periods = parse_periods(cleaned.get(day, ""), what=day.capitalize())
            except ActionError as error:
                self.add_error(day, as_validation_error(error))
                continue
            if periods:
                hours[index] = periods
        if not any(day in self.errors for day in WEEKDAYS):
            try:
                actions.check_weekly_hours(hours)
            except ActionError as error:
                self.add_error(None, as_validation_error(error))
        self.weekly_hours = hours
        return cleaned


class _Rows(BaseInlineFormSet):  # type: ignore[type-arg]
    """An inline's rows as the specs its action takes, checked as the action checks."""

    def rows(self) -> list[dict[str, Any]]:
        """The cleaned data of every filled-in row not marked for deletion."""
        return [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def check(self) -> None:
        raise NotImplementedError

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        try:
            self.check()
        except ActionError as error:
            raise as_validation_error(error) from error


class ClosureRows(_Rows):
    def specs(self) -> list[ClosureSpec]:
        return [ClosureSpec(r["starts"], r["ends"], r.get("reason", "")) for r in self.rows()]

    def check(self) -> None:
        actions.check_closures(self.specs())


class SpecialHoursRows(_Rows):
    def specs(self) -> list[SpecialDaySpec]:
        """One day per date: its periods, and the first note given on that date."""
        periods: dict[dt.date, list[Period]] = {}
        notes: dict[dt.date, str] = {}
        for row in self.rows():
            periods.setdefault(row["date"], []).append((row["opens"], row["closes"]))
            if row.get("note") and not notes.get(row["date"]):
                notes[row["date"]] = row["note"]
        return [
            SpecialDaySpec(date, tuple(day), notes.get(date, "")) for date, day in periods.items()
        ]

    def check(self) -> None:
        actions.check_special_hours(self.specs())


class LinkRows(_Rows):
    def specs(self) -> list[LinkSpec]:
        """The links in the order of their positions, then of the rows."""
        ordered = sorted(enumerate(self.rows()), key=lambda pair: (pair[1]["position"], pair[0]))
        return [LinkSpec(r["kind"], r["title"], r["url"]) for _, r in ordered]

    def check(self) -> None:
        actions.check_links(self.specs())


class ClosureForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Closure
        fields = ("starts", "ends", "reason")

    def clean_reason(self) -> str:
        return check_plain_text(
            self.cleaned_data["reason"], field="reason", max_chars=120, required=False
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # noqa: S101
        starts, ends = cleaned.get("starts"), cleaned.get("ends")
        if starts and ends and ends < starts:
            self.add_error("ends", f"The closure ends ({ends}) before it starts ({starts}).")
        return cleaned


class SpecialHoursForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = SpecialHours
        fields = ("date", "opens", "closes", "note")
        help_texts = {"closes": "At or before opening: past midnight."}

    def clean_note(self) -> str:
        return check_plain_text(
            self.cleaned_data["note"], field="note", max_chars=120, required=False
        )


class LinkForm(forms.ModelForm):  # type: ignore[type-arg]
    url = forms.URLField(max_length=500, assume_scheme="https", label="Address")

    class Meta:
        model = CampusLink
        fields = ("kind", "title", "url", "position")

    def clean_title(self) -> str:
        return check_plain_text(self.cleaned_data["title"], field="title", max_chars=120)

    def clean_url(self) -> str:
        return _http_only(self.cleaned_data["url"])


class ClosureInline(SetupInline):
    model = Closure
    form = ClosureForm
    formset = ClosureRows
    supervisors_read = True
    verbose_name = "closure (dates included)"


class SpecialHoursInline(SetupInline):
    model = SpecialHours
    form = SpecialHoursForm
    formset = SpecialHoursRows
    supervisors_read = True
    verbose_name = "special hours period"
    verbose_name_plural = "special hours (in place of the week's on that date)"


class LinkInline(SetupInline):
    model = CampusLink
    form = LinkForm
    formset = LinkRows
    supervisors_read = True
    verbose_name = "link"


_DETAILS = ("slug", "name", "colour", "timezone", "website", "position", "staff_notes")


@admin.register(Campus)
class CampusAdmin(SetupAdmin):
    """Admins set campuses up; supervisors read them."""

    form = CampusForm
    supervisors_read = True
    inlines = (ClosureInline, SpecialHoursInline, LinkInline)
    list_display = ("name", "slug", "colour_swatch", "timezone", "hours_today", "open_now")
    ordering = ("position", "name")
    search_fields = ("name", "slug")

    class Media:
        css = {"all": ("/campuses.css",)}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Campus]:
        return super().get_queryset(request).prefetch_related("hours", "closures", "special_hours")

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if not self.has_change_permission(request, obj):
            return [(None, {"fields": (*_DETAILS, "weekly_hours")})]
        return [
            (None, {"fields": _DETAILS}),
            ("Weekly hours", {"fields": WEEKDAYS}),
        ]

    @admin.display(description="colour")
    def colour_swatch(self, obj: Campus) -> str:
        return format_html('<span class="campus-swatch campus-{}">{}</span>', obj.slug, obj.colour)

    @admin.display(description="hours today")
    def hours_today(self, obj: Campus) -> str:
        return get_hours_today(obj)

    @admin.display(description="open now", boolean=True)
    def open_now(self, obj: Campus) -> bool:
        return get_opening_status(obj).open_now

    @admin.display(description="weekly hours")
    def weekly_hours(self, obj: Campus) -> str:
        return format_html(
            '<ul class="weekly-hours">{}</ul>',
            format_html_join("", "<li>{}: {}</li>", get_weekly_hours(obj)),
        )

    def save_model(self, request: HttpRequest, obj: Campus, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            current = Campus.objects.get(pk=obj.pk)
            actions.do_rename_campus_slug(current, slug=data["slug"], actor=actor_of(request))
        campus = actions.do_upsert_campus(
            data["slug"],
            name=data["name"],
            colour=data["colour"],
            timezone=data["timezone"],
            website=data["website"],
            position=data["position"],
            actor=actor_of(request),
        )
        obj.pk = campus.pk
        actions.do_set_weekly_hours(campus, hours=form.weekly_hours, actor=actor_of(request))
        actions.do_set_staff_notes(campus, data["staff_notes"], actor=actor_of(request))

    def save_related(
        self,
        request: HttpRequest,
        form: Any,
        formsets: Any,
        change: bool,
    ) -> None:
        campus = Campus.objects.get(pk=form.instance.pk)
        for formset in formsets:
            self.save_formset(request, form, formset, change)
            if isinstance(formset, ClosureRows):
                actions.do_set_closures(campus, closures=formset.specs(), actor=actor_of(request))
            elif isinstance(formset, SpecialHoursRows):
                actions.do_set_special_hours(campus, days=formset.specs(), actor=actor_of(request))
            elif isinstance(formset, LinkRows):
                actions.do_set_links(campus, links=formset.specs(), actor=actor_of(request))

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        # The action decides what may go (a campus nobody uses, with its hours and links)
        # and says why not; the page only names the campus.
        names = [f"Campus: {obj.name}, with its hours, closures and links" for obj in objs]
        return names, {"campuses": len(names)}, set(), []

    def delete_model(self, request: HttpRequest, obj: Campus) -> None:
        try:
            actions.do_delete_campus(obj, actor=actor_of(request))
        except ActionError as error:
            request.refdesk_refused = error.message  # type: ignore[attr-defined]

    def response_delete(self, request: HttpRequest, obj_display: str, obj_id: Any) -> HttpResponse:
        refused = getattr(request, "refdesk_refused", None)
        if refused:
            self.message_user(request, f"Not deleted: {refused}", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:campuses_campus_change", args=(obj_id,)))
        return super().response_delete(request, obj_display, obj_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Campus]) -> None:
        for campus in queryset:
            actions.do_delete_campus(campus, actor=actor_of(request))
