"""The admin site's title, who may do what there, and the bases every app's admin uses.

Permissions come from the account's flags alone, which the librarian's role keeps in step
(``accounts.actions.staff_flags``): an active superuser (an admin) may change the desk's
setup; an active staff account (a supervisor, or an admin) may read what an app's admin
lets it read; nobody writes through Django's own saving. Every write is an action's, and
the desk's audit entries are the record of it, so the admin's own change log
(``django_admin_log``) is not written.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import admin, messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from refdesk.core.errors import ActionError
from refdesk.core.models import AuditEntry
from refdesk.core.text import clean_text

_T = TypeVar("_T")

admin.site.site_header = "refdesk administration"
admin.site.site_title = "refdesk administration"
admin.site.index_title = "Set up the desk"
# Nothing on the site links to a "view site" page other than the desk's home.
admin.site.site_url = "/"

# Groups and per-model permissions play no part: the role decides. An account is managed
# with its librarian profile, in the librarian admin (accounts/admin.py). Django's auth
# admin is imported first, so that it has registered both whatever the apps' order.
importlib.import_module("django.contrib.auth.admin")
for _model in (Group, User):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


def is_admin(request: HttpRequest) -> bool:
    """An active superuser: an admin, who may change the desk's setup."""
    user = request.user
    return bool(user.is_active and user.is_staff and user.is_superuser)


def is_staff(request: HttpRequest) -> bool:
    """An active staff account: a supervisor or an admin, who may read there."""
    user = request.user
    return bool(user.is_active and user.is_staff)


def actor_of(request: HttpRequest) -> AbstractBaseUser:
    """The logged-in user making the change (the admin site lets no one else in)."""
    user = request.user
    if not isinstance(user, AbstractBaseUser):
        raise PermissionDenied
    return user


def as_validation_error(error: ActionError) -> ValidationError:
    """An action's refusal as a form error, with its sentence."""
    return ValidationError(error.message, code=error.code)


def checked(form: Any, check: Callable[..., _T], /, **values: Any) -> _T | None:
    """``check(**values)``, an action's check run on a form's values: its result, or None
    with its refusal shown beside the field it names (above the form for another)."""
    try:
        return check(**values)
    except ActionError as error:
        field = error.extra.get("field")
        form.add_error(field if field in form.fields else None, as_validation_error(error))
        return None


def check_plain_text(value: str, *, field: str, max_chars: int, required: bool = True) -> str:
    """``value`` trimmed, for a one-line name or title. Raises ``ValidationError`` when it
    holds control characters, direction overrides or lone surrogates (text that would show
    other than it reads), when it has nothing visible and is required, or when it is over
    ``max_chars``."""
    try:
        cleaned = clean_text(
            value, field=field, max_chars=max_chars, required=required, multiline=False
        )
    except ActionError as error:
        raise as_validation_error(error) from error
    if cleaned != " ".join(value.split()):
        raise ValidationError(
            "Remove the invisible or control characters (direction overrides, zero-width "
            "characters, controls) from this text.",
            code="invalid",
        )
    return cleaned


class _NoAdminLog:
    """The desk's audit entries record every change; Django's admin log is not written."""

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> None:
        return None

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> None:
        return None

    def log_deletion(self, request: HttpRequest, obj: Model, object_repr: str) -> None:
        return None

    def log_deletions(self, request: HttpRequest, queryset: Any) -> None:
        return None


class SetupAdmin(_NoAdminLog, admin.ModelAdmin):  # type: ignore[type-arg,misc]
    """A setup model: admins add, change and delete (through actions, in the subclass's
    ``save_model``, ``save_related`` and ``delete_model``); supervisors read when
    ``supervisors_read`` is set."""

    supervisors_read = False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request) or (self.supervisors_read and is_staff(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Django's bulk delete writes with QuerySet.delete(): not an action of the desk.
        return {}

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # The form checked everything as the actions do; an action that still refuses (a
        # row changed meanwhile, a username taken) rolls the whole save back, since
        # Django's change view saves in one transaction, and the page says why.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ActionError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        # The form's instance, unsaved: save_model hands its values to an action.
        return form.instance

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        raise NotImplementedError("A setup admin saves through an action.")

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        raise NotImplementedError("A setup admin deletes through an action.")

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        raise NotImplementedError("A setup admin deletes through an action, one at a time.")

    def save_related(
        self,
        request: HttpRequest,
        form: Any,
        formsets: Any,
        change: bool,
    ) -> None:
        # No many-to-many rows to save; the subclass writes the inlines' rows.
        for formset in formsets:
            self.save_formset(request, form, formset, change)

    def save_formset(
        self,
        request: HttpRequest,
        form: Any,
        formset: Any,
        change: bool,
    ) -> None:
        # The inlines' rows are written by the subclass's save_related, through actions;
        # Django's change message reads these.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


class SetupInline(admin.StackedInline):  # type: ignore[type-arg]
    """Rows edited with their parent and saved by the parent's admin through an action."""

    extra = 1
    supervisors_read = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request) or (self.supervisors_read and is_staff(request))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request)


class ReadOnlyAdmin(_NoAdminLog, admin.ModelAdmin):  # type: ignore[type-arg,misc]
    """A record to read, never to change from the admin: no add, no change, no delete, no
    bulk actions. Supervisors and admins read it, or admins alone with
    ``admins_only``."""

    admins_only = False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request) if self.admins_only else is_staff(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Every setup change, who made it and when: for admins."""

    admins_only = True
    list_display = ("at", "actor_name", "action", "target_type", "target_repr")
    list_filter = ("action", "target_type")
    search_fields = ("actor_name", "target_repr")
    date_hierarchy = "at"
    fields = ("at", "actor_name", "action", "target_type", "target_id", "target_repr", "changes")
