"""The librarian log-in page; the throttle itself is in the authentication backend."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import LoginView

from refdesk.accounts import throttle
from refdesk.accounts.forms import DeskAuthenticationForm


class DeskLoginView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = DeskAuthenticationForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        wait = throttle.wait_of(self.request)
        if wait:
            context["locked_message"] = throttle.wait_message(wait)
        return context
