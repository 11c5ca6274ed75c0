"""Chats in the admin, to read: supervisors and admins look a chat and its transcript up;
and the reference-interview card's questions, which admins set up.

Nothing here changes a chat. What the retention purge removed (the patron's name, email,
question and the text of every message) is simply not there; hashed addresses and token
hashes are never shown.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from refdesk.chats import actions
from refdesk.chats.actions import MAX_INTERVIEW_QUESTION_CHARS
from refdesk.chats.models import Chat, InterviewQuestion
from refdesk.core.admin import ReadOnlyAdmin, SetupAdmin, actor_of, check_plain_text


@admin.register(Chat)
class ChatAdmin(ReadOnlyAdmin):
    list_display = ("id", "campus", "state", "end_reason", "created_at", "ended_at", "librarian")
    list_filter = ("campus", "state")
    list_select_related = ("campus", "librarian")
    ordering = ("-created_at",)
    fields = (
        "campus",
        "state",
        "end_reason",
        "librarian",
        "created_at",
        "claimed_at",
        "ended_at",
        "purged_at",
        "patron_name",
        "patron_email",
        "question",
        "page_url",
        "browser",
        "transcript",
    )

    @admin.display(description="transcript")
    def transcript(self, obj: Chat) -> str:
        lines = [
            (
                f"{message.created_at:%Y-%m-%d %H:%M:%S}",
                message.sender_name or message.get_sender_display(),
                message.body or "(text removed)",
            )
            for message in obj.messages.order_by("seq")
        ]
        if not lines:
            return "No messages."
        return format_html(
            '<ol class="transcript">{}</ol>',
            format_html_join("", "<li><time>{}</time> <strong>{}</strong>: {}</li>", lines),
        )


class InterviewQuestionForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = InterviewQuestion
        fields = ("text", "position")
        help_texts = {
            "text": 'A short open question, in your words: "What is it for?"',
            "position": "The card lists questions from the lowest position up.",
        }

    def clean_text(self) -> str:
        return check_plain_text(
            self.cleaned_data["text"], field="text", max_chars=MAX_INTERVIEW_QUESTION_CHARS
        )


@admin.register(InterviewQuestion)
class InterviewQuestionAdmin(SetupAdmin):
    """The reference-interview card beside every chat: admins set its questions, every
    change audited; supervisors read them."""

    form = InterviewQuestionForm
    supervisors_read = True
    list_display = ("text", "position")
    ordering = ("position", "pk")

    def save_model(
        self, request: HttpRequest, obj: InterviewQuestion, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        if change:
            current = InterviewQuestion.objects.get(pk=obj.pk)
            actions.do_change_interview_question(
                current, text=data["text"], position=data["position"], actor=actor_of(request)
            )
            return
        added = actions.do_add_interview_question(
            data["text"], position=data["position"], actor=actor_of(request)
        )
        obj.pk = added.pk

    def delete_model(self, request: HttpRequest, obj: InterviewQuestion) -> None:
        actions.do_delete_interview_question(obj, actor=actor_of(request))

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for question in queryset:
            actions.do_delete_interview_question(question, actor=actor_of(request))
