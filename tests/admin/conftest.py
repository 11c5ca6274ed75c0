"""An admin, a supervisor and a librarian, each with a logged-in test client."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from refdesk.accounts.models import Librarian


@pytest.fixture
def root(make_librarian: Callable[..., Librarian]) -> Librarian:
    return make_librarian("root", campus="north", role="admin", display_name="Root")


@pytest.fixture
def dee(make_librarian: Callable[..., Librarian]) -> Librarian:
    return make_librarian("dee", campus="north", role="supervisor", display_name="Dee")


@pytest.fixture
def ana(make_librarian: Callable[..., Librarian]) -> Librarian:
    return make_librarian("ana", campus="north", display_name="Ana")


def client_of(librarian: Librarian) -> Client:
    client = Client()
    client.force_login(librarian.user)
    return client


@pytest.fixture
def admin_client(root: Librarian) -> Client:
    """Root's client: an admin (a superuser)."""
    return client_of(root)


@pytest.fixture
def supervisor_client(dee: Librarian) -> Client:
    return client_of(dee)


@pytest.fixture
def librarian_client(ana: Librarian) -> Client:
    return client_of(ana)
