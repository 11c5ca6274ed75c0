"""Contacts and courses in the admin. Unlike the rest of the desk's setup, supervisors
keep them as well as admins: who to call in a hard moment is a supervisor's business.
Every write goes through ``directory/actions.py``, with audit; librarians do not reach the
admin at all."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from refdesk.core.admin import SetupAdmin, actor_of, checked, is_staff
from refdesk.directory import actions
from refdesk.directory.models import Contact, Course


class _DirectoryAdmin(SetupAdmin):
    """Supervisors and admins read, add, change and delete."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_staff(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_staff(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_staff(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_staff(request)


class ContactForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Contact
        fields = (
            "name",
            "role",
            "campus",
            "category",
            "phone",
            "email",
            "link",
            "available",
            "note",
            "position",
            "active",
        )
        help_texts = {
            "campus": "Leave empty for a consortium-wide contact (a national line, the "
            "consortium's own staff).",
            "phone": "Digits, spaces, + ( ) - . / and an extension (ext. 12).",
            "link": "An http:// or https:// address.",
            "available": 'When someone answers: "24/7", "Mon–Fri 9–5".',
            "category": "The campus panel lists counselling, security, IT help desk, "
            "disability services and writing centre; the crisis panel counselling, "
            "security, emergency and crisis lines.",
            "active": "An inactive contact stays here but leaves the console.",
        }
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # noqa: S101
        self.fields_checked = checked(
            self,
            actions.check_contact_fields,
            **{name: self.cleaned_data.get(name) for name in ContactForm.Meta.fields},
        )
        return cleaned


class CourseForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Course
        fields = ("title", "provider", "link", "cost", "length", "why", "position", "active")
        labels = {"why": "Why take it"}
        help_texts = {
            "link": "An http:// or https:// address.",
            "cost": '"Free", "Free (audit)", "$25".',
            "length": '"About 2 hours", "Self-paced".',
            "active": "An inactive course stays here but leaves the console.",
        }
        widgets = {"why": forms.Textarea(attrs={"rows": 3})}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # noqa: S101
        self.fields_checked = checked(
            self,
            actions.check_course_fields,
            **{name: self.cleaned_data.get(name) for name in CourseForm.Meta.fields},
        )
        return cleaned


@admin.register(Contact)
class ContactAdmin(_DirectoryAdmin):
    form = ContactForm
    list_display = ("name", "role", "place", "category", "phone", "available", "active")
    list_filter = ("category", "campus", "active")
    search_fields = ("name", "role", "phone", "email", "note")
    ordering = ("campus__position", "campus__name", "position", "name")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Contact]:
        return super().get_queryset(request).select_related("campus")

    @admin.display(description="campus")
    def place(self, obj: Contact) -> str:
        return obj.place()

    def save_model(self, request: HttpRequest, obj: Contact, form: Any, change: bool) -> None:
        if change:
            saved = actions.do_change_contact(
                Contact.objects.get(pk=obj.pk), form.fields_checked, actor=actor_of(request)
            )
        else:
            saved = actions.do_add_contact(form.fields_checked, actor=actor_of(request))
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Contact) -> None:
        actions.do_delete_contact(obj, actor=actor_of(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Contact]) -> None:
        for contact in queryset:
            actions.do_delete_contact(contact, actor=actor_of(request))


@admin.register(Course)
class CourseAdmin(_DirectoryAdmin):
    form = CourseForm
    list_display = ("title", "provider", "cost", "length", "position", "active")
    list_filter = ("active",)
    search_fields = ("title", "provider", "why")
    ordering = ("position", "title")

    def save_model(self, request: HttpRequest, obj: Course, form: Any, change: bool) -> None:
        if change:
            saved = actions.do_change_course(
                Course.objects.get(pk=obj.pk), form.fields_checked, actor=actor_of(request)
            )
        else:
            saved = actions.do_add_course(form.fields_checked, actor=actor_of(request))
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Course) -> None:
        actions.do_delete_course(obj, actor=actor_of(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Course]) -> None:
        for course in queryset:
            actions.do_delete_course(course, actor=actor_of(request))
