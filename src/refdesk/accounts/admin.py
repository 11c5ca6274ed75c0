"""Librarians in the admin: one form for the account and its profile, saved through
``do_add_librarian`` and ``do_update_librarian``; the password set through
``do_set_librarian_password`` on Django's own password page. Librarians are deactivated,
never deleted: their chats and tickets keep who answered them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import AdminForm
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    SetPasswordMixin,
    SetUnusablePasswordMixin,
)
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from refdesk.accounts import actions
from refdesk.accounts.models import Librarian
from refdesk.core.admin import SetupAdmin, actor_of, as_validation_error, check_plain_text
from refdesk.core.errors import ActionError


class _LibrarianForm(forms.ModelForm):  # type: ignore[type-arg]
    """What both the add and the change form hold besides the profile's own fields."""

    email = forms.EmailField(required=False, max_length=254)
    active = forms.BooleanField(
        required=False,
        initial=True,
        help_text="Off: the librarian cannot log in, and is logged out everywhere.",
    )

    class Meta:
        model = Librarian
        fields = ("display_name", "home_campus", "role")
        help_texts = {
            "display_name": "What patrons and colleagues see in chats.",
            "role": "Supervisors also read chats and tickets here; admins set the desk up.",
        }

    def clean_display_name(self) -> str:
        return check_plain_text(
            self.cleaned_data["display_name"], field="display name", max_chars=80
        )


class LibrarianAddForm(SetUnusablePasswordMixin, SetPasswordMixin, _LibrarianForm):  # type: ignore[misc,type-arg]
    """A new account and its profile, with a password (typed twice, checked by the
    password validators) or none yet."""

    username = forms.CharField(
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text="For logging in: letters, digits and @ . + - _ only.",
    )
    password1, password2 = SetPasswordMixin.create_password_fields()
    usable_password = SetUnusablePasswordMixin.create_usable_password_field(
        "Disabled: no password yet; set one later from the librarian's page."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password1"].required = False
        self.fields["password2"].required = False

    def clean_username(self) -> str:
        username = str(self.cleaned_data["username"])
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(f"The username {username!r} is taken.", code="unique")
        return username

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # noqa: S101 (ModelForm.clean returns its data)
        self.validate_passwords()
        user = get_user_model()(
            username=cleaned.get("username", ""), email=cleaned.get("email", "")
        )
        self.validate_password_for_user(user)
        return cleaned


class LibrarianChangeForm(_LibrarianForm):
    """An existing librarian's profile and account; the last active admin stays one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("email", self.instance.user.email)
            self.initial.setdefault("active", self.instance.user.is_active)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # noqa: S101
        if "role" in cleaned:
            try:
                actions.check_keeps_an_admin(
                    self.instance, role=cleaned["role"], active=bool(cleaned.get("active"))
                )
            except ActionError as error:
                self.add_error(error.extra.get("field"), as_validation_error(error))
        return cleaned


_ADD_FIELDS = (
    "username",
    "display_name",
    "email",
    "home_campus",
    "role",
    "active",
    "usable_password",
    "password1",
    "password2",
)
_CHANGE_FIELDS = (
    "username",
    "display_name",
    "email",
    "home_campus",
    "role",
    "active",
    "password",
)


@admin.register(Librarian)
class LibrarianAdmin(SetupAdmin):
    """Admins add librarians, change them, set their passwords and deactivate them."""

    list_display = ("display_name", "username", "email", "home_campus", "role", "active")
    list_filter = ("role", "home_campus", "user__is_active")
    list_select_related = ("user", "home_campus")
    search_fields = ("display_name", "user__username", "user__email")
    ordering = ("display_name",)

    def get_form(
        self,
        request: HttpRequest,
        obj: Any = None,
        change: bool = False,
        **kwargs: Any,
    ) -> Any:
        kwargs["form"] = LibrarianChangeForm if obj is not None else LibrarianAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return [(None, {"fields": _CHANGE_FIELDS if obj is not None else _ADD_FIELDS})]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("username", "password") if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A librarian is deactivated (the "active" box), not deleted.
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Librarian]:
        return super().get_queryset(request).select_related("user", "home_campus")

    @admin.display(description="username", ordering="user__username")
    def username(self, obj: Librarian) -> str:
        return obj.user.get_username()

    @admin.display(description="email", ordering="user__email")
    def email(self, obj: Librarian) -> str:
        return obj.user.email

    @admin.display(description="active", boolean=True, ordering="user__is_active")
    def active(self, obj: Librarian) -> bool:
        return obj.user.is_active

    @admin.display(description="password")
    def password(self, obj: Librarian) -> str:
        url = reverse("admin:accounts_librarian_password", args=(obj.pk,))
        if obj.user.has_usable_password():
            return format_html('Set. <a href="{}">Change the password</a>', url)
        return format_html('None yet. <a href="{}">Set a password</a>', url)

    def save_model(self, request: HttpRequest, obj: Librarian, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            actions.do_update_librarian(
                Librarian.objects.select_related("user").get(pk=obj.pk),
                display_name=data["display_name"],
                email=data["email"],
                campus=data["home_campus"],
                role=data["role"],
                active=data["active"],
                actor=actor_of(request),
            )
            return
        librarian = actions.do_add_librarian(
            data["username"],
            password=data["password1"] if data["set_usable_password"] else None,
            campus=data["home_campus"],
            role=data["role"],
            display_name=data["display_name"],
            email=data["email"],
            active=data["active"],
            actor=actor_of(request),
        )
        obj.pk, obj.user_id = librarian.pk, librarian.user_id

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<id>/password/",
                self.admin_site.admin_view(self.password_view),
                name="accounts_librarian_password",
            ),
            *super().get_urls(),
        ]

    def password_view(self, request: HttpRequest, id: str) -> HttpResponse:
        """Django's password page for the librarian's account; the password is set
        through ``do_set_librarian_password``."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        librarian = self.get_object(request, unquote(id))
        if librarian is None:
            raise Http404("No such librarian.")
        user = librarian.user
        if request.method == "POST":
            form = AdminPasswordChangeForm(user, request.POST)
            if form.is_valid():
                usable = form.cleaned_data["set_usable_password"]
                actions.do_set_librarian_password(
                    librarian,
                    password=form.cleaned_data["password1"] if usable else None,
                    actor=actor_of(request),
                )
                user.refresh_from_db()
                update_session_auth_hash(request, user)
                messages.success(
                    request,
                    "Password changed." if usable else "The librarian has no password now.",
                )
                return HttpResponseRedirect(
                    reverse("admin:accounts_librarian_change", args=(librarian.pk,))
                )
        else:
            form = AdminPasswordChangeForm(user)
        title = "Change password: %s" if user.has_usable_password() else "Set password: %s"
        context = {
            **self.admin_site.each_context(request),
            "title": title % user.get_username(),
            "adminForm": AdminForm(form, [(None, {"fields": list(form.base_fields)})], {}),  # type: ignore[arg-type]
            "form_url": "",
            "form": form,
            "is_popup": False,
            "add": True,
            "change": False,
            "has_delete_permission": False,
            "has_change_permission": True,
            "has_absolute_url": False,
            "opts": self.opts,
            "original": librarian,
            "save_as": False,
            "show_save": True,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/auth/user/change_password.html", context)
