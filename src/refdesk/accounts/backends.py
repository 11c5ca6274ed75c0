"""The one place a password is checked: Django's ``ModelBackend`` behind the throttle."""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from refdesk.accounts import throttle
from refdesk.accounts.actions import do_record_login_failure, do_record_login_success
from refdesk.accounts.selectors import get_login_wait
from refdesk.core.http import client_address

UserModel = get_user_model()


class ThrottledModelBackend(ModelBackend):
    """``ModelBackend`` that refuses a throttled log-in before it looks at the password.

    As the only entry of ``AUTHENTICATION_BACKENDS`` it throttles every way of logging
    in: the desk's log-in page, the admin's, and ``authenticate()`` from code. A refusal
    notes the wait on the request (:func:`refdesk.accounts.throttle.wait_of`) and raises
    ``PermissionDenied``, which makes Django stop and report a failed log-in.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username is None:
            username = kwargs.get(UserModel.USERNAME_FIELD)
        if username is None or password is None:
            return None
        # Django's log-in form NFKC-normalises the name before it calls us; code that calls
        # authenticate() may not, and the lookup and the throttle must see the same name.
        username = UserModel.normalize_username(username)
        address = client_address(request) if request is not None else ""
        wait = get_login_wait(username, address=address)
        if wait:
            if request is not None:
                throttle.remember_wait(request, wait)
            raise PermissionDenied
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            do_record_login_failure(username, address=address)
        else:
            do_record_login_success(username, address=address)
        return user

    async def aauthenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        # ModelBackend's own asynchronous version would skip the throttle.
        return await sync_to_async(self.authenticate)(
            request, username=username, password=password, **kwargs
        )
