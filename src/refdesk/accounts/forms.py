"""Log-in forms that say why a throttled log-in was refused."""

from __future__ import annotations

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from refdesk.accounts import throttle


def _throttled_error(form: AuthenticationForm) -> ValidationError | None:
    wait = throttle.wait_of(form.request)
    if not wait:
        return None
    return ValidationError(throttle.wait_message(wait), code="throttled")


class DeskAuthenticationForm(AuthenticationForm):
    """The desk's log-in form."""

    def get_invalid_login_error(self) -> ValidationError:
        return _throttled_error(self) or super().get_invalid_login_error()


class DeskAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's log-in form (``admin.site.login_form``)."""

    def get_invalid_login_error(self) -> ValidationError:
        return _throttled_error(self) or super().get_invalid_login_error()
