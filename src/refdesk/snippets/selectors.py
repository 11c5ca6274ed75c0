"""Reading snippets: those a librarian may use, as the console gets them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import Q, QuerySet

from refdesk.accounts.models import Librarian
from refdesk.snippets.models import Scope, Snippet

_SCOPE_ORDER = {Scope.PERSONAL: 0, Scope.CAMPUS: 1, Scope.GLOBAL: 2}


def usable_snippets(librarian: Librarian) -> QuerySet[Snippet]:
    """Every global and campus snippet, and the librarian's own personal ones."""
    return Snippet.objects.filter(
        Q(scope__in=(Scope.GLOBAL, Scope.CAMPUS)) | Q(scope=Scope.PERSONAL, owner=librarian)
    ).select_related("campus")


def snippet_entry(snippet: Snippet, *, librarian_id: int) -> dict[str, Any]:
    """A snippet as the console gets it (``snippets.events.SnippetEntry``)."""
    return {
        "id": snippet.pk,
        "scope": snippet.scope,
        "campus": snippet.campus.slug if snippet.campus is not None else None,
        "title": snippet.title,
        "body": snippet.body,
        "shortcut": snippet.shortcut,
        "purpose": snippet.purpose,
        "mine": snippet.scope == Scope.PERSONAL and snippet.owner_id == librarian_id,
    }


def _in_order(rows: Iterable[Snippet]) -> list[Snippet]:
    return sorted(
        rows,
        key=lambda s: (
            _SCOPE_ORDER[Scope(s.scope)],
            (s.campus.position, s.campus.name) if s.campus is not None else (0, ""),
            s.position,
            s.title,
            s.pk,
        ),
    )


def list_snippet_entries(librarian: Librarian) -> list[dict[str, Any]]:
    """Every snippet the librarian may use: personal, then campus (by campus), then
    global; each group by position and title."""
    return [
        snippet_entry(s, librarian_id=librarian.pk) for s in _in_order(usable_snippets(librarian))
    ]


def list_shared_snippet_entries() -> list[dict[str, Any]]:
    """Every campus snippet (by campus), then every global one, each group by position and
    title: what every librarian shares (``mine`` is false for each)."""
    rows = Snippet.objects.filter(scope__in=(Scope.GLOBAL, Scope.CAMPUS)).select_related("campus")
    return [snippet_entry(s, librarian_id=0) for s in _in_order(rows)]


def snippet_campuses_of(facts: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """Each campus's name and today's hours, by slug, from the campuses' facts
    (``campuses.selectors.list_campus_facts``): what ``{campus}``, ``{librarian_campus}``
    and ``{hours_today}`` become."""
    return {f["campus"]: {"name": f["name"], "hours_today": f["hours_today"]} for f in facts}
