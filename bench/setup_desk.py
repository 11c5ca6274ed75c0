"""Fill a fresh desk for the benchmark: librarians with sessions, claimed and waiting chats,
and a supervisor with a history of long chats to read.

Run with the server's environment (REFDESK_DATA_DIR or REFDESK_DATABASE_URL); writes a JSON
file that the load generator and the baseline relay both read.
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--patrons", type=int, default=2000)
    parser.add_argument("--librarians", type=int, default=100)
    parser.add_argument("--waiting", type=int, default=20)
    parser.add_argument("--history", type=int, default=100)
    parser.add_argument("--history-messages", type=int, default=200)
    options = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "refdesk.settings")
    import django
    from django.conf import settings

    django.setup()
    # Benchmark accounts only: hashing a hundred passwords properly would take a minute.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import transaction

    from refdesk.accounts.actions import do_add_librarian
    from refdesk.accounts.models import Librarian
    from refdesk.campuses.actions import do_upsert_campus
    from refdesk.chats.actions import (
        NewMessage,
        do_claim_chat,
        do_create_chat,
        do_end_chat,
        do_store_messages,
    )
    from refdesk.chats.models import EndReason, Sender

    call_command("migrate", verbosity=0)
    campus = do_upsert_campus(
        "bench", name="Benchmark Library", colour="#1f4e79", timezone="America/New_York"
    )

    def session_cookie(librarian: Librarian) -> str:
        session = SessionStore()
        session[SESSION_KEY] = str(librarian.user.pk)
        # Django accepts a session only from a backend it lists.
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = librarian.user.get_session_auth_hash()
        session.create()
        return f"sessionid={session.session_key}"

    librarians = []
    cookies = []
    for i in range(options.librarians):
        librarian = do_add_librarian(
            f"bench{i:03d}",
            password="bench-password-1",
            campus=campus,
            display_name=f"Librarian {i:03d}",
        )
        librarians.append(librarian)
        cookies.append(session_cookie(librarian))
    chats = []
    with transaction.atomic():
        for i in range(options.patrons):
            chat, token = do_create_chat(
                campus, patron_name=f"Patron {i:04d}", patron_email="", question="benchmark"
            )
            owner = i % options.librarians
            do_claim_chat(chat.pk, acting_librarian=librarians[owner])
            chats.append({"chat_id": chat.pk, "token": token, "librarian": owner})
        waiting = [
            do_create_chat(campus, patron_name="Waiting", patron_email="", question="claim me")[
                0
            ].pk
            for _ in range(options.waiting)
        ]
    # A supervisor, and ended chats of theirs with ``--history-messages`` messages each
    # (the question, the conversation, the closing line): what the reads phase fetches.
    supervisor = do_add_librarian(
        "benchsuper",
        password="bench-password-1",
        campus=campus,
        role="supervisor",
        display_name="Supervisor",
    )
    history = []
    with transaction.atomic():
        for i in range(options.history):
            chat, _token = do_create_chat(
                campus, patron_name=f"Past {i:04d}", patron_email="", question="history"
            )
            do_claim_chat(chat.pk, acting_librarian=supervisor)
            do_store_messages(
                [
                    NewMessage(chat.pk, Sender.PATRON, f"history {n} {'y' * 60}", f"h{n}")
                    if n % 2
                    else NewMessage(
                        chat.pk,
                        Sender.LIBRARIAN,
                        f"history {n} {'z' * 60}",
                        f"h{n}",
                        librarian_id=supervisor.pk,
                        librarian_name=supervisor.display_name,
                    )
                    for n in range(options.history_messages - 2)
                ]
            )
            chat.refresh_from_db()
            do_end_chat(chat, reason=EndReason.CLOSED, acting_librarian=supervisor)
            history.append(chat.pk)
    with open(options.out, "w") as handle:
        json.dump(
            {
                "librarians": [
                    {"id": lib.pk, "cookie": cookie, "name": lib.display_name}
                    for lib, cookie in zip(librarians, cookies, strict=True)
                ],
                "chats": chats,
                "waiting": waiting,
                "supervisor": {
                    "id": supervisor.pk,
                    "cookie": session_cookie(supervisor),
                    "name": supervisor.display_name,
                },
                "history": history,
            },
            handle,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
