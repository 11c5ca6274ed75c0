"""``refdesk createsuperuser`` makes a superuser with an admin's librarian profile."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from refdesk.accounts.models import Librarian
from refdesk.core.models import AuditEntry

pytestmark = pytest.mark.django_db

PASSWORD = "shelf-mark-42"


class TtyInput(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def campuses(make_campus: Callable[..., Any]) -> None:
    make_campus("north")
    make_campus("south")


def run(*args: str, interactive: bool = False, **options: Any) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "createsuperuser",
        *args,
        interactive=interactive,
        stdin=TtyInput() if interactive else io.StringIO(),
        stdout=out,
        stderr=err,
        **options,
    )
    return out.getvalue(), err.getvalue()


@pytest.fixture
def password_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)


def profiles() -> list[tuple[str, str, str, str, bool, bool]]:
    return [
        (
            lib.user.username,
            lib.display_name,
            lib.home_campus.slug,
            lib.role,
            lib.user.is_staff,
            lib.user.is_superuser,
        )
        for lib in Librarian.objects.select_related("user", "home_campus").order_by("pk")
    ]


def librarian_audit() -> list[tuple[Any, ...]]:
    return list(
        AuditEntry.objects.filter(target_type="librarian").values_list(
            "actor_id", "actor_name", "action", "changes"
        )
    )


@pytest.mark.usefixtures("campuses", "password_in_env")
def test_without_input_the_first_campus_is_the_home_campus_and_the_command_says_so() -> None:
    out, err = run("--username", "root", "--email", "root@example.edu")
    assert out == (
        "Superuser created successfully.\n"
        "root gets an admin's librarian profile, as Root, with North Campus Library (north) "
        "as home campus; change it in the admin.\n"
    )
    assert err == ""
    assert profiles() == [("root", "Root", "north", "admin", True, True)]
    assert librarian_audit() == [
        (
            None,
            "command line",
            "librarian.add",
            {"username": "root", "home_campus": "north", "role": "admin"},
        )
    ]


@pytest.mark.usefixtures("campuses", "password_in_env")
def test_without_input_campus_names_the_home_campus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "rosa")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "rosa@example.edu")
    out, _ = run("--campus", "south")
    assert out.splitlines()[-1] == (
        "rosa gets an admin's librarian profile, as Rosa, with South Campus Library (south) "
        "as home campus; change it in the admin."
    )
    assert profiles() == [("rosa", "Rosa", "south", "admin", True, True)]


@pytest.mark.usefixtures("campuses", "password_in_env")
def test_an_unknown_campus_is_refused_before_any_account_is_made() -> None:
    with pytest.raises(CommandError, match="There is no campus 'atlantis'"):
        run("--username", "root", "--email", "", "--campus", "atlantis")
    assert not get_user_model().objects.exists()


@pytest.mark.usefixtures("password_in_env")
def test_with_no_campus_the_account_has_no_profile_and_the_command_says_how_it_gets_one() -> None:
    out, _ = run("--username", "root", "--email", "")
    assert out == (
        "Superuser created successfully.\n"
        "root has no librarian profile yet, because there is no campus. Add a campus in the "
        "admin (/admin/); then opening the console (/console/) as this account offers one.\n"
    )
    assert get_user_model().objects.get().is_superuser
    assert not Librarian.objects.exists()
    assert librarian_audit() == []


@pytest.fixture
def prompts(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[list[str]], list[str]]]:
    """Answer Django's prompts (username, email, the password twice) and, in order, the
    campus prompts given; returns the campus prompts asked."""
    asked: list[str] = []

    def answer_with(campus_answers: list[str]) -> list[str]:
        answers = iter(campus_answers)

        def fake_input(prompt: str = "") -> str:
            if prompt.startswith("Username"):
                return "root"
            if prompt.startswith("Email"):
                return "root@example.edu"
            asked.append(prompt)
            return next(answers)

        monkeypatch.setattr("builtins.input", fake_input)
        monkeypatch.setattr("getpass.getpass", lambda prompt="": PASSWORD)
        return asked

    yield answer_with


@pytest.mark.usefixtures("campuses")
def test_at_a_terminal_the_campus_is_asked_for_until_it_is_one(
    prompts: Callable[[list[str]], list[str]],
) -> None:
    asked = prompts(["atlantis", "south"])
    out, err = run(interactive=True)
    assert asked == ["Home campus (leave blank to use 'north'): "] * 2
    assert out == (
        "Superuser created successfully.\n"
        "Campuses: north, south\n"
        "root gets an admin's librarian profile, as Root, with South Campus Library (south) "
        "as home campus; change it in the admin.\n"
    )
    assert err == "Error: there is no campus 'atlantis'; type one of the slugs.\n"
    assert profiles() == [("root", "Root", "south", "admin", True, True)]


@pytest.mark.usefixtures("campuses")
def test_at_a_terminal_enter_takes_the_first_campus(
    prompts: Callable[[list[str]], list[str]],
) -> None:
    prompts([""])
    out, _ = run(interactive=True)
    assert "with North Campus Library (north) as home campus" in out
    assert profiles() == [("root", "Root", "north", "admin", True, True)]


@pytest.mark.usefixtures("campuses")
def test_at_a_terminal_campus_is_not_asked(prompts: Callable[[list[str]], list[str]]) -> None:
    asked = prompts([])
    run("--campus", "south", interactive=True)
    assert asked == []
    assert profiles() == [("root", "Root", "south", "admin", True, True)]
