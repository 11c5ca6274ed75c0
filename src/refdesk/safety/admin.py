"""The watch lists and the panels' guidance in the admin: admins add, change and delete
them, each change through ``safety/actions.py`` with audit; supervisors read them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from refdesk.core.admin import SetupAdmin, actor_of, checked
from refdesk.safety import actions
from refdesk.safety.models import Guidance, WatchTerm


class WatchTermForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = WatchTerm
        fields = ("language", "kind", "term", "is_pattern", "active", "note")
        help_texts = {
            "language": "A language code: en, es, fr, pt-br …",
            "term": (
                "Words as a patron would write them; case, accents, leetspeak (k1ll), "
                "spacing (k i l l) and held letters (kiiill) are taken care of. A pattern "
                'may also use * at the start or end of a word (fuck*) and "..." between '
                "words for up to three words in between (i know ... where you live)."
            ),
            "kind": (
                "An exception cancels a hit that it covers: kill the process, Hamlet's suicide."
            ),
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # noqa: S101
        self.text = checked(
            self,
            actions.check_watch_term,
            language=cleaned.get("language", ""),
            kind=cleaned.get("kind", ""),
            term=cleaned.get("term", ""),
            is_pattern=cleaned.get("is_pattern", False),
            note=cleaned.get("note", ""),
        )
        return cleaned

    def validate_unique(self) -> None:
        # The action checks it, with the term as it will be stored.
        return None


@admin.register(WatchTerm)
class WatchTermAdmin(SetupAdmin):
    """Admins keep the watch lists; supervisors read them."""

    form = WatchTermForm
    supervisors_read = True
    list_display = ("term", "language", "kind", "is_pattern", "active", "note")
    list_filter = ("language", "kind", "active", "is_pattern")
    search_fields = ("term", "note")

    def save_model(self, request: HttpRequest, obj: WatchTerm, form: Any, change: bool) -> None:
        active = form.cleaned_data["active"]
        if change:
            saved = actions.do_change_watch_term(
                WatchTerm.objects.get(pk=obj.pk), form.text, active=active, actor=actor_of(request)
            )
        else:
            saved = actions.do_add_watch_term(form.text, active=active, actor=actor_of(request))
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: WatchTerm) -> None:
        actions.do_delete_watch_term(obj, actor=actor_of(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[WatchTerm]) -> None:
        for term in queryset:
            actions.do_delete_watch_term(term, actor=actor_of(request))


class GuidanceForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Guidance
        fields = ("kind", "section", "position", "text")
        help_texts = {"text": "One short step, as the librarian reads it beside the chat."}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # noqa: S101
        self.text = checked(
            self,
            actions.check_guidance,
            kind=cleaned.get("kind", ""),
            section=cleaned.get("section", ""),
            text=cleaned.get("text", ""),
        )
        return cleaned


@admin.register(Guidance)
class GuidanceAdmin(SetupAdmin):
    """Admins word the panels' guidance; supervisors read it."""

    form = GuidanceForm
    supervisors_read = True
    list_display = ("text", "kind", "section", "position")
    list_filter = ("kind", "section")
    search_fields = ("text",)

    def save_model(self, request: HttpRequest, obj: Guidance, form: Any, change: bool) -> None:
        position = form.cleaned_data["position"]
        if change:
            saved = actions.do_change_guidance(
                Guidance.objects.get(pk=obj.pk),
                form.text,
                position=position,
                actor=actor_of(request),
            )
        else:
            saved = actions.do_add_guidance(form.text, position=position, actor=actor_of(request))
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Guidance) -> None:
        actions.do_delete_guidance(obj, actor=actor_of(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Guidance]) -> None:
        for step in queryset:
            actions.do_delete_guidance(step, actor=actor_of(request))
