"""``refdesk demo``: a demo desk with three campuses and five librarians.

The desk comes from ``refdesk/setup/demo.toml`` through the same import as ``refdesk setup
import``. Running it again changes nothing: campuses and hours are set to the same values
and librarians that exist already keep their passwords; new ones get the demo password.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from refdesk.accounts.models import Librarian
from refdesk.campuses.actions import do_set_staff_notes
from refdesk.campuses.models import Campus
from refdesk.chats.actions import do_add_missing_interview_questions
from refdesk.setup.actions import do_import_desk
from refdesk.setup.deskfile import read_desk
from refdesk.tickets.actions import (
    check_add_note,
    check_patron_answer,
    check_reply_ticket,
    check_set_ticket_state,
    do_claim_ticket,
    do_create_ticket,
    do_send_reply,
)
from refdesk.tickets.models import Ticket

# Published on purpose: every demo account shares it.
DEMO_PASSWORD = "refdesk-demo"  # noqa: S105
DEMO_FILE = Path(__file__).resolve().parents[2] / "demo.toml"


class Command(BaseCommand):
    help = (
        "Create a demo desk: three campuses with opening hours and five librarians "
        f"(ana, ben, cai, supervisor dee, admin admin) with the password {DEMO_PASSWORD}. "
        "Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even outside debug, although it adds an admin with a published password.",
        )
        parser.add_argument(
            "--no-tickets",
            action="store_true",
            help="Campuses and librarians only: no sample tickets.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not (settings.DEBUG or settings.TESTING or options["force"]):
            raise CommandError(
                "The demo adds an admin whose password is published. Run it with "
                "REFDESK_DEBUG=1, or pass --force on a server that only serves the demo."
            )
        report = do_import_desk(
            read_desk(DEMO_FILE.read_text(encoding="utf-8")), new_password=DEMO_PASSWORD
        )
        campuses = {c.slug: c for c in Campus.objects.filter(slug__in=report.campuses)}
        do_add_missing_interview_questions(DEMO_INTERVIEW_QUESTIONS)
        for slug, notes in DEMO_STAFF_NOTES.items():
            if slug in campuses and not campuses[slug].staff_notes:
                do_set_staff_notes(campuses[slug], notes)
        added = report.added
        made = 0 if options["no_tickets"] else _demo_tickets(campuses)
        if report.snippets_added:
            count = len(report.snippets_added)
            self.stdout.write(f"Added {count} snippets from the training notes.")
        if report.contacts_added or report.courses_added:
            self.stdout.write(
                f"Added {len(report.contacts_added)} contacts and "
                f"{len(report.courses_added)} courses to the directory."
            )
        self.stdout.write(f"Campuses: {', '.join(campuses)}.")
        if made:
            self.stdout.write(f"Added {made} tickets, new, open, pending and closed.")
        if added:
            self.stdout.write(f"Added librarians {', '.join(added)}; password {DEMO_PASSWORD}.")
        kept = report.changed + report.unchanged
        if kept:
            self.stdout.write(f"Left as they were: {', '.join(kept)}.")
        self.stdout.write(self.style.SUCCESS("The demo desk is ready."))


# The reference-interview card, in the training notes' spirit: short, open, friendly.
DEMO_INTERVIEW_QUESTIONS = [
    "What is it for: a class assignment, a paper, something else?",
    "How much do you need: a few sources, or everything on the topic?",
    "What have you tried so far?",
    "When do you need it by?",
]

# Each demo campus's cheat sheet, set while a campus has none.
DEMO_STAFF_NOTES = {
    "north": "Laptops lend for 4 hours at the ground-floor desk.\nGroup rooms: book online.",
    "south": "Colour printer: by the lifts, ground floor.\nThe archive opens by appointment.",
    "downtown": "Law reserve is on level 3; interlibrary loans take about a week.",
}

# A few tickets in every state, with threads, so that the Tickets view has something in
# it: (campus, name, email, question, owner, thread of (kind, text), final state).
DEMO_TICKETS = [
    ("north", "Sam", "sam@example.edu", "Can I renew a laptop loan over the weekend?", "", [], ""),
    ("south", "", "kim@example.edu", "Do you hold the 7th edition of the APA manual?", "", [], ""),
    (
        "downtown",
        "Lee",
        "lee@example.edu",
        "How do I get an interlibrary loan for a thesis from 1962?",
        "cai",
        [("note", "Checked WorldCat: two copies, both in Ohio.")],
        "",
    ),
    (
        "north",
        "Ravi",
        "ravi@example.edu",
        "Is there a quiet room I can book for a group of four?",
        "ana",
        [("reply", "Yes: rooms 2.10 to 2.14 can be booked at the desk or online.")],
        "pending",
    ),
    (
        "south",
        "Mia",
        "mia@example.edu",
        "Where can I print in colour?",
        "ben",
        [
            ("reply", "The colour printer is on the ground floor, by the lifts."),
            ("patron", "Found it, thank you!"),
            ("note", "Closed after the patron's thanks."),
        ],
        "closed",
    ),
]


def _demo_tickets(campuses: dict[str, Campus]) -> int:
    """File the demo tickets through the actions, once (none when tickets exist)."""
    if Ticket.objects.exists():
        return 0
    staff = {lib.user.username: lib for lib in Librarian.objects.select_related("user")}
    for slug, name, email, question, owner, thread, state in DEMO_TICKETS:
        ticket = do_create_ticket(
            campuses[slug], patron_name=name, patron_email=email, question=question
        )
        librarian = staff.get(owner)
        if librarian is None:
            continue
        do_claim_ticket(ticket.pk, acting_librarian=librarian)
        for number, (kind, text) in enumerate(thread):
            if kind == "note":
                check_add_note(ticket.pk, acting_librarian=librarian, body=text)
            elif kind == "reply":
                _ticket, entry = check_reply_ticket(
                    ticket.pk, acting_librarian=librarian, client_id=f"demo-{number}", body=text
                )
                do_send_reply(entry.pk)
            else:
                check_patron_answer(ticket, body=text)
        if state:
            check_set_ticket_state(ticket.pk, state=state, acting_librarian=librarian)
    return len(DEMO_TICKETS)
