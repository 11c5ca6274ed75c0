"""Fill a fresh desk for the benchmark: librarians with sessions, claimed and waiting chats.

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
    from refdesk.campuses.actions import do_upsert_campus
    from refdesk.chats.actions import do_claim_chat, do_create_chat

    call_command("migrate", verbosity=0)
    campus = do_upsert_campus(
        "bench", name="Benchmark Library", colour="#1f4e79", timezone="America/New_York"
    )
    librarians = []
    cookies = []
    for i in range(options.librarians):
        librarian = do_add_librarian(
            f"bench{i:03d}",
            password="bench-password-1",
            campus=campus,
            display_name=f"Librarian {i:03d}",
        )
        session = SessionStore()
        session[SESSION_KEY] = str(librarian.user.pk)
        # Django accepts a session only from a backend it lists.
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = librarian.user.get_session_auth_hash()
        session.create()
        librarians.append(librarian)
        cookies.append(f"sessionid={session.session_key}")
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
    with open(options.out, "w") as handle:
        json.dump(
            {
                "librarians": [
                    {"id": lib.pk, "cookie": cookie, "name": lib.display_name}
                    for lib, cookie in zip(librarians, cookies, strict=True)
                ],
                "chats": chats,
                "waiting": waiting,
            },
            handle,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
