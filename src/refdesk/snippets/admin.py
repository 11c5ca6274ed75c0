"""Global and campus snippets in the admin: admins add, change and delete them, each
change through ``snippets/actions.py`` with audit; supervisors read them. Personal
snippets belong to their librarians, who manage them in the console."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from refdesk.core.admin import SetupAdmin, actor_of, checked
from refdesk.snippets import actions
from refdesk.snippets.models import Scope, Snippet
from refdesk.snippets.placeholders import PLACEHOLDERS

_BODY_HELP = (
    "Placeholders: "
    + ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
    + ". One with no value is left out with the word that leads to it "
    '("Hi {patron_name}, …" becomes "Hi, …" when the patron gave no name).'
)


class SnippetForm(forms.ModelForm):  # type: ignore[type-arg]
    scope = forms.ChoiceField(
        choices=[(Scope.GLOBAL, "Global"), (Scope.CAMPUS, "Campus")],
        help_text="Global snippets are offered in every chat; a campus's first in its chats.",
    )

    class Meta:
        model = Snippet
        fields = ("scope", "campus", "title", "body", "shortcut", "purpose", "position")
        help_texts = {
            "shortcut": 'Typed after "/" in the composer: lower-case letters, digits, hyphens.',
            "purpose": "What the console uses it for: the greeting, the closing line, …",
            "campus": "For a campus snippet only.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].help_text = _BODY_HELP
        self.fields["shortcut"].required = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # noqa: S101
        self.text = checked(
            self,
            actions.check_snippet_text,
            title=cleaned.get("title", ""),
            body=cleaned.get("body", ""),
            shortcut=cleaned.get("shortcut", ""),
        )
        scope, campus = cleaned.get("scope"), cleaned.get("campus")
        if scope == Scope.CAMPUS and campus is None:
            self.add_error("campus", "A campus snippet needs its campus.")
        if scope == Scope.GLOBAL and campus is not None:
            self.add_error("campus", "A global snippet has no campus: leave this empty.")
        if self.instance.pk and scope != self.instance.scope:
            self.add_error("scope", "A snippet keeps its scope; add a new one instead.")
        return cleaned


@admin.register(Snippet)
class SnippetAdmin(SetupAdmin):
    """Admins set up global and campus snippets; supervisors read them."""

    form = SnippetForm
    supervisors_read = True
    list_display = ("title", "where", "shortcut", "purpose", "position")
    list_filter = ("scope", "campus", "purpose")
    search_fields = ("title", "body", "shortcut")
    ordering = ("scope", "campus", "position", "title")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Snippet]:
        return super().get_queryset(request).exclude(scope=Scope.PERSONAL).select_related("campus")

    @admin.display(description="for")
    def where(self, obj: Snippet) -> str:
        return obj.scope_label()

    def save_model(self, request: HttpRequest, obj: Snippet, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            saved = actions.do_change_snippet(
                Snippet.objects.get(pk=obj.pk),
                form.text,
                purpose=data["purpose"],
                position=data["position"],
                campus=data["campus"],
                actor=actor_of(request),
            )
        else:
            saved = actions.do_add_snippet(
                form.text,
                scope=data["scope"],
                campus=data["campus"] if data["scope"] == Scope.CAMPUS else None,
                purpose=data["purpose"],
                position=data["position"],
                actor=actor_of(request),
            )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Snippet) -> None:
        actions.do_delete_snippet(obj, actor=actor_of(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Snippet]) -> None:
        for snippet in queryset:
            actions.do_delete_snippet(snippet, actor=actor_of(request))
