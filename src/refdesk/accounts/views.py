"""The librarian login page, with lockout after repeated failures."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse

from refdesk.accounts import lockout
from refdesk.core.http import client_address


class DeskLoginView(LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        username = str(request.POST.get("username", ""))[:150]
        wait = lockout.seconds_locked(username, client_address(request))
        if wait:
            minutes = max(1, round(wait / 60))
            form = self.get_form()
            response = self.render_to_response(
                self.get_context_data(
                    form=form,
                    locked_message=(
                        "Too many failed log-ins. Try again in "
                        f"{minutes} minute{'s' if minutes != 1 else ''}."
                    ),
                ),
                status=429,
            )
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        lockout.record_failure(
            str(self.request.POST.get("username", ""))[:150], client_address(self.request)
        )
        return super().form_invalid(form)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        lockout.record_success(form.get_user().get_username())
        return super().form_valid(form)
