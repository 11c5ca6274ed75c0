import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import override_settings

from refdesk.accounts.models import Librarian
from refdesk.campuses.models import Campus, OpeningHours

pytestmark = pytest.mark.django_db

EXPECTED_LIBRARIANS = {
    "ana": ("Ana", "north", "librarian"),
    "ben": ("Ben", "south", "librarian"),
    "cai": ("Cai", "downtown", "librarian"),
    "dee": ("Dee", "north", "supervisor"),
    "admin": ("Admin", "north", "admin"),
}


def _relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of #rrggbb."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast_with_white(colour: str) -> float:
    return 1.05 / (_relative_luminance(colour) + 0.05)


def _snapshot() -> tuple[list[tuple[object, ...]], ...]:
    return (
        list(Campus.objects.order_by("pk").values_list()),
        list(OpeningHours.objects.order_by("pk").values_list()),
        list(Librarian.objects.order_by("pk").values_list()),
        list(
            Librarian.objects.order_by("pk").values_list(
                "user__username", "user__password", "user__is_staff", "user__is_superuser"
            )
        ),
    )


def test_contrast_helper_agrees_with_the_wcag_extremes() -> None:
    assert _contrast_with_white("#ffffff") == pytest.approx(1.0)
    assert _contrast_with_white("#000000") == pytest.approx(21.0)


def test_demo_run_twice_gives_three_campuses_and_five_librarians() -> None:
    call_command("demo")
    call_command("demo")

    assert list(Campus.objects.values_list("slug", "name")) == [
        ("north", "North Campus Library"),
        ("south", "South Campus Library"),
        ("downtown", "Downtown Library"),
    ]
    librarians = {
        lib.user.username: (lib.display_name, lib.home_campus.slug, lib.role)
        for lib in Librarian.objects.select_related("user", "home_campus")
    }
    assert librarians == EXPECTED_LIBRARIANS


def test_demo_second_run_changes_nothing() -> None:
    call_command("demo")
    before = _snapshot()

    call_command("demo")

    assert _snapshot() == before


def test_demo_librarians_log_in_with_the_demo_password() -> None:
    call_command("demo")

    for username in EXPECTED_LIBRARIANS:
        assert authenticate(username=username, password="refdesk-demo") is not None, username
    assert authenticate(username="ana", password="wrong") is None


def test_demo_admin_may_use_the_django_admin_and_others_may_not() -> None:
    call_command("demo")

    staff = {
        lib.user.username
        for lib in Librarian.objects.select_related("user")
        if lib.user.is_staff and lib.user.is_superuser
    }
    assert staff == {"admin"}


def test_demo_leaves_an_existing_librarians_password_alone() -> None:
    call_command("demo")
    ana = Librarian.objects.select_related("user").get(user__username="ana").user
    ana.set_password("ana-chose-her-own")
    ana.save()

    call_command("demo")

    assert authenticate(username="ana", password="ana-chose-her-own") is not None
    assert authenticate(username="ana", password="refdesk-demo") is None


def test_demo_campus_colours_carry_white_text_at_wcag_aa() -> None:
    call_command("demo")

    for campus in Campus.objects.all():
        assert _contrast_with_white(campus.colour) >= 4.5, campus.slug


def test_demo_campuses_have_opening_hours_and_downtown_closes_on_sunday() -> None:
    call_command("demo")

    for campus in Campus.objects.all():
        assert campus.timezone == "America/New_York"
        assert campus.website == f"https://library.example.edu/{campus.slug}"
        weekdays = set(campus.hours.values_list("weekday", flat=True))
        expected = set(range(6)) if campus.slug == "downtown" else set(range(7))
        assert weekdays == expected, campus.slug


@override_settings(DEBUG=False, TESTING=False)
def test_demo_refuses_to_run_outside_debug_without_force() -> None:
    with pytest.raises(CommandError, match="published"):
        call_command("demo")
    assert not Campus.objects.exists()

    call_command("demo", "--force")
    assert Campus.objects.count() == 3


def test_the_demo_desk_has_tickets_in_every_state_with_threads_and_adds_them_once() -> None:
    from refdesk.tickets.models import Ticket, TicketEntry

    call_command("demo")
    states = sorted(Ticket.objects.values_list("state", flat=True))
    assert states == ["closed", "new", "new", "open", "pending"]
    assert set(TicketEntry.objects.values_list("kind", flat=True)) == {"note", "reply", "patron"}
    assert not TicketEntry.objects.filter(kind="reply", send_state="unsent").exists()
    call_command("demo")
    assert Ticket.objects.count() == 5


def test_demo_without_tickets_makes_campuses_and_librarians_only() -> None:
    from refdesk.tickets.models import Ticket

    call_command("demo", "--no-tickets")
    assert Campus.objects.count() == 3
    assert Librarian.objects.count() == len(EXPECTED_LIBRARIANS)
    assert not Ticket.objects.exists()
