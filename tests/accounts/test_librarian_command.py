import io

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

from refdesk.accounts.models import Librarian
from refdesk.campuses.actions import do_upsert_campus
from refdesk.campuses.models import Campus

pytestmark = pytest.mark.django_db

PASSWORD = "shelf-mark-42"


class TtyInput(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def campus() -> Campus:
    return do_upsert_campus(
        "south", name="South Campus Library", colour="#1d5e3b", timezone="America/New_York"
    )


def _add(*args: str, stdin: io.StringIO) -> str:
    out = io.StringIO()
    call_command("librarian", "add", *args, stdin=stdin, stdout=out)
    return out.getvalue()


@pytest.mark.usefixtures("campus")
def test_add_reads_the_password_from_the_first_line_of_stdin() -> None:
    output = _add(
        "eve",
        "--campus",
        "south",
        "--role",
        "supervisor",
        "--display-name",
        "Eve R.",
        "--email",
        "eve@example.edu",
        stdin=io.StringIO(f"{PASSWORD}\nignored second line\n"),
    )

    librarian = Librarian.objects.select_related("user", "home_campus").get()
    assert (librarian.user.username, librarian.display_name, librarian.role) == (
        "eve",
        "Eve R.",
        "supervisor",
    )
    assert librarian.home_campus.slug == "south"
    assert librarian.user.email == "eve@example.edu"
    assert authenticate(username="eve", password=PASSWORD) is not None
    assert "eve" in output


@pytest.mark.usefixtures("campus")
def test_add_prompts_twice_at_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([PASSWORD, PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

    _add("eve", "--campus", "south", "--role", "librarian", stdin=TtyInput())

    assert authenticate(username="eve", password=PASSWORD) is not None


@pytest.mark.usefixtures("campus")
def test_add_refuses_passwords_that_differ_at_the_prompt(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

    with pytest.raises(CommandError, match="do not match"):
        _add("eve", "--campus", "south", "--role", "librarian", stdin=TtyInput())
    assert not get_user_model().objects.exists()


@pytest.mark.usefixtures("campus")
@pytest.mark.parametrize(
    ("stdin", "message"),
    [("", "empty"), ("\n", "empty"), ("short\n", "too short"), ("password\n", "too common")],
)
def test_add_refuses_an_empty_or_weak_password(stdin: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        _add("eve", "--campus", "south", "--role", "librarian", stdin=io.StringIO(stdin))
    assert not get_user_model().objects.exists()


@pytest.mark.usefixtures("campus")
def test_add_refuses_an_unknown_campus() -> None:
    with pytest.raises(CommandError, match="no campus 'moon'"):
        _add("eve", "--campus", "moon", "--role", "librarian", stdin=io.StringIO(PASSWORD))
    assert not get_user_model().objects.exists()


@pytest.mark.usefixtures("campus")
def test_add_refuses_an_unknown_role() -> None:
    with pytest.raises(CommandError, match="invalid choice: 'boss'"):
        _add("eve", "--campus", "south", "--role", "boss", stdin=io.StringIO(PASSWORD))
    assert not get_user_model().objects.exists()


@pytest.mark.usefixtures("campus")
def test_add_refuses_a_username_already_taken_before_reading_a_password() -> None:
    _add("eve", "--campus", "south", "--role", "librarian", stdin=io.StringIO(PASSWORD))
    stdin = io.StringIO("other-password-1\n")

    with pytest.raises(CommandError, match="'eve' is taken"):
        _add("eve", "--campus", "south", "--role", "admin", stdin=stdin)

    assert stdin.tell() == 0
    assert Librarian.objects.get().role == "librarian"
    assert authenticate(username="eve", password=PASSWORD) is not None


@pytest.mark.usefixtures("campus")
def test_add_refuses_a_username_django_would_not_accept() -> None:
    with pytest.raises(CommandError, match="username"):
        _add("eve smith", "--campus", "south", "--role", "librarian", stdin=io.StringIO(PASSWORD))
    assert not get_user_model().objects.exists()


def test_list_prints_username_display_name_campus_and_role(campus: Campus) -> None:
    north = do_upsert_campus(
        "north", name="North Campus Library", colour="#1f4e79", timezone="America/New_York"
    )
    _add(
        "eve",
        "--campus",
        "south",
        "--role",
        "supervisor",
        "--display-name",
        "Eve R.",
        stdin=io.StringIO(PASSWORD),
    )
    _add("abe", "--campus", north.slug, "--role", "librarian", stdin=io.StringIO(PASSWORD))
    out = io.StringIO()

    call_command("librarian", "list", stdout=out)

    lines = [line.split() for line in out.getvalue().splitlines()]
    assert lines == [
        ["USERNAME", "DISPLAY", "NAME", "CAMPUS", "ROLE"],
        ["abe", "Abe", "north", "librarian"],
        ["eve", "Eve", "R.", "south", "supervisor"],
    ]


def test_list_with_no_librarians_says_how_to_add_one() -> None:
    out = io.StringIO()

    call_command("librarian", "list", stdout=out)

    assert "refdesk librarian add" in out.getvalue()


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("librarian", *args, stdout=out)
    return out.getvalue()


def test_deactivate_and_activate_switch_the_account_through_the_action(campus: Campus) -> None:
    from django.contrib.sessions.models import Session
    from django.test import Client

    from refdesk.accounts.actions import do_add_librarian
    from refdesk.core.models import AuditEntry

    eve = do_add_librarian("eve", password=PASSWORD, campus=campus, display_name="Eve R.")
    client = Client()
    assert client.login(username="eve", password=PASSWORD)

    assert _run("deactivate", "eve") == (
        "Deactivated eve (Eve R.): their sessions ended, their chats went back to the "
        "queues, their open tickets are unassigned, and their open consoles close.\n"
    )
    assert not get_user_model().objects.get(username="eve").is_active
    assert not Session.objects.exists()
    assert _run("deactivate", "eve") == "eve (Eve R.) is deactivated already.\n"
    assert authenticate(username="eve", password=PASSWORD) is None

    assert _run("activate", "eve") == "Activated eve (Eve R.).\n"
    assert _run("activate", "eve") == "eve (Eve R.) is active already.\n"
    assert authenticate(username="eve", password=PASSWORD) is not None
    assert list(
        AuditEntry.objects.filter(target_type="librarian", target_id=str(eve.pk))
        .order_by("pk")
        .values_list("actor_name", "action", "changes")
    )[1:] == [
        ("command line", "librarian.change", {"active": [True, False]}),
        ("command line", "librarian.change", {"active": [False, True]}),
    ]


@pytest.mark.parametrize("action", ["deactivate", "activate"])
def test_deactivate_and_activate_refuse_an_unknown_librarian(action: str) -> None:
    get_user_model().objects.create_user("visitor", password="x-long-password")
    with pytest.raises(CommandError, match="There is no librarian 'visitor'"):
        _run(action, "visitor")


def test_the_help_lists_deactivate_and_activate() -> None:
    from refdesk.accounts.management.commands.librarian import Command

    text = Command().create_parser("refdesk", "librarian").format_help()
    assert "{add,list,deactivate,activate}" in text
    assert "Switch a librarian's account off, at once" in text
    assert "Switch a librarian's account on again" in text
