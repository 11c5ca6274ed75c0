"""The only writer of snippets.

Every change writes an audit entry (:func:`refdesk.core.actions.do_record_audit`) in its
transaction; ``actor`` is the user who made it (``None``: the command line). A change of
a personal snippet also tells its owner's consoles (``snippets``) after the commit; a
change of a global or campus snippet tells every console (``snippets.changed``, with every
shared snippet), so that nobody needs to reload.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction

from refdesk.accounts.models import Librarian
from refdesk.campuses.models import Campus
from refdesk.core.actions import do_record_audit
from refdesk.core.errors import ActionError
from refdesk.core.realtime import STAFF_GROUP, librarian_group, send_event_on_commit
from refdesk.core.text import clean_text
from refdesk.snippets.models import (
    BODY_MAX,
    SHORTCUT_MAX,
    TITLE_MAX,
    Purpose,
    Scope,
    Snippet,
)
from refdesk.snippets.selectors import (
    list_shared_snippet_entries,
    list_snippet_entries,
    snippet_entry,
)

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

_SHORTCUT = re.compile(rf"^[a-z0-9][a-z0-9-]{{0,{SHORTCUT_MAX - 1}}}$")
_FIELDS = ("title", "body", "shortcut", "purpose", "position")


@dataclass(frozen=True)
class SnippetText:
    """A snippet's checked words: what :func:`check_snippet_text` returns."""

    title: str
    body: str
    shortcut: str


def check_snippet_text(*, title: object, body: object, shortcut: object = "") -> SnippetText:
    """The title, body and shortcut cleaned. Raises ``ActionError("invalid")`` for an
    empty title or body, or a shortcut that is not lower-case letters, digits and hyphens
    (a leading "/" and capitals are forgiven), and ``ActionError("too_long")`` past the
    limits (80, 4,000 and 30 characters)."""
    clean_title = clean_text(
        title, field="title", max_chars=TITLE_MAX, required=True, multiline=False
    )
    clean_body = clean_text(body, field="body", max_chars=BODY_MAX, required=True)
    raw = clean_text(
        shortcut if shortcut is not None else "",
        field="shortcut",
        max_chars=SHORTCUT_MAX + 1,
        multiline=False,
    )
    clean_shortcut = raw.lstrip("/").lower()
    if clean_shortcut and not _SHORTCUT.match(clean_shortcut):
        raise ActionError(
            "invalid",
            f"A shortcut is 1 to {SHORTCUT_MAX} lower-case letters, digits and hyphens, "
            f"not {raw!r}.",
            field="shortcut",
        )
    return SnippetText(clean_title, clean_body, clean_shortcut)


def _repr(snippet: Snippet) -> str:
    return f"{snippet.title} ({snippet.scope_label()})"


def _audit(
    actor: AbstractBaseUser | None, action: str, snippet: Snippet, changes: dict[str, Any]
) -> None:
    do_record_audit(
        actor,
        action,
        target_type="snippet",
        target_id=snippet.pk,
        target_repr=_repr(snippet),
        changes=changes,
    )


def _tell_consoles(owner: Librarian | None) -> None:
    """After the commit: a personal snippet's owner's consoles get every snippet they may
    use (``snippets``); for a shared one (``owner`` None) every console gets the shared
    snippets (``snippets.changed``) and keeps its own personal ones."""
    if owner is None:
        send_event_on_commit(
            [STAFF_GROUP],
            {"type": "snippets.changed", "snippets": list_shared_snippet_entries()},
        )
        return
    send_event_on_commit(
        [librarian_group(owner.pk)],
        {"type": "snippets", "snippets": list_snippet_entries(owner)},
    )


def _check_place(scope: str, campus: Campus | None, owner: Librarian | None) -> None:
    wanted = {
        Scope.GLOBAL: (False, False),
        Scope.CAMPUS: (True, False),
        Scope.PERSONAL: (False, True),
    }
    if scope not in wanted:
        raise ActionError("invalid", f"A snippet's scope is not {scope!r}.", field="scope")
    if wanted[Scope(scope)] != (campus is not None, owner is not None):
        raise ActionError(
            "invalid",
            "A campus snippet needs a campus, a personal one an owner, a global one neither.",
            field="scope",
        )


def _check_purpose(purpose: str) -> None:
    if purpose not in Purpose.values:
        raise ActionError("invalid", f"A snippet's purpose is not {purpose!r}.", field="purpose")


def do_add_snippet(
    text: SnippetText,
    *,
    scope: str,
    campus: Campus | None = None,
    owner: Librarian | None = None,
    purpose: str = "",
    position: int = 0,
    actor: AbstractBaseUser | None = None,
) -> Snippet:
    """Add a snippet with checked ``text`` (:func:`check_snippet_text`). Audits
    ``snippet.add`` and tells consoles (see the module's docstring). Raises
    ``ActionError("invalid")`` when ``campus`` and ``owner`` do not fit ``scope`` or the
    purpose is unknown."""
    _check_place(scope, campus, owner)
    _check_purpose(purpose)
    with transaction.atomic():
        snippet = Snippet.objects.create(
            scope=scope,
            campus=campus,
            owner=owner,
            title=text.title,
            body=text.body,
            shortcut=text.shortcut,
            purpose=purpose,
            position=position,
        )
        _audit(
            actor,
            "snippet.add",
            snippet,
            {
                "scope": scope,
                "campus": campus.slug if campus else None,
                "owner": owner.pk if owner else None,
                "title": text.title,
                "body": text.body,
                "shortcut": text.shortcut,
                "purpose": purpose,
                "position": position,
            },
        )
        _tell_consoles(owner)
    return snippet


def do_change_snippet(
    snippet: Snippet,
    text: SnippetText,
    *,
    purpose: str | None = None,
    position: int | None = None,
    campus: Campus | None = None,
    actor: AbstractBaseUser | None = None,
) -> Snippet:
    """Give the snippet new words, and optionally a new purpose, position or (for a campus
    snippet) campus. Writes and audits (``snippet.change``, the fields that changed)
    only what changed, and tells consoles of a change."""
    wanted: dict[str, Any] = {"title": text.title, "body": text.body, "shortcut": text.shortcut}
    if purpose is not None:
        _check_purpose(purpose)
        wanted["purpose"] = purpose
    if position is not None:
        wanted["position"] = position
    with transaction.atomic():
        current = Snippet.objects.select_related("campus", "owner").get(pk=snippet.pk)
        changes = {
            key: [getattr(current, key), value]
            for key, value in wanted.items()
            if getattr(current, key) != value
        }
        if campus is not None and current.scope == Scope.CAMPUS and campus != current.campus:
            assert current.campus is not None  # noqa: S101 - the constraint says so
            changes["campus"] = [current.campus.slug, campus.slug]
            wanted["campus"] = campus
        if not changes:
            return current
        Snippet.objects.filter(pk=current.pk).update(**wanted)
        for key, value in wanted.items():
            setattr(current, key, value)
        _audit(actor, "snippet.change", current, changes)
        _tell_consoles(current.owner)
    return current


def do_delete_snippet(snippet: Snippet, *, actor: AbstractBaseUser | None = None) -> None:
    """Delete the snippet. Audits ``snippet.delete`` with what it said and tells
    consoles."""
    with transaction.atomic():
        current = Snippet.objects.select_related("campus", "owner").get(pk=snippet.pk)
        _audit(
            actor,
            "snippet.delete",
            current,
            {field: getattr(current, field) for field in ("scope", *_FIELDS)},
        )
        owner = current.owner
        current.delete()
        _tell_consoles(owner)


def access_personal_snippet(librarian: Librarian, snippet_id: object) -> Snippet:
    """The librarian's own personal snippet with this id. Raises ``ActionError("invalid")``
    for an id that is not a number, ``ActionError("not_found")`` for anyone else's or
    none."""
    if isinstance(snippet_id, bool) or not isinstance(snippet_id, int):
        raise ActionError("invalid", "A snippet id is a number.", field="id")
    snippet = (
        Snippet.objects.select_related("owner")
        .filter(pk=snippet_id, scope=Scope.PERSONAL, owner=librarian)
        .first()
    )
    if snippet is None:
        raise ActionError("not_found", "You have no such snippet.")
    return snippet


def check_save_personal_snippet(
    librarian: Librarian,
    *,
    snippet_id: object,
    title: object,
    body: object,
    shortcut: object,
) -> dict[str, Any]:
    """Add a personal snippet for the librarian (``snippet_id`` None) or change one of
    their own; returns it as the console gets it. Raises as :func:`check_snippet_text`
    and :func:`access_personal_snippet` do."""
    text = check_snippet_text(title=title, body=body, shortcut=shortcut)
    if snippet_id is None:
        snippet = do_add_snippet(text, scope=Scope.PERSONAL, owner=librarian, actor=librarian.user)
    else:
        snippet = do_change_snippet(
            access_personal_snippet(librarian, snippet_id), text, actor=librarian.user
        )
    return snippet_entry(snippet, librarian_id=librarian.pk)


def check_delete_personal_snippet(librarian: Librarian, *, snippet_id: object) -> int:
    """Delete one of the librarian's own personal snippets; returns its id. Raises as
    :func:`access_personal_snippet` does."""
    snippet = access_personal_snippet(librarian, snippet_id)
    pk = snippet.pk
    do_delete_snippet(snippet, actor=librarian.user)
    return pk
