"""Helpers for the admin's tests: the rows a change leaves, and a form's POST data."""

from __future__ import annotations

import html
from typing import Any

from django.test import Client

from refdesk.core.models import AuditEntry

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def audit_rows() -> list[tuple[str, str, str, Any]]:
    """Every audit entry, oldest first: (who, action, target, changes)."""
    return list(
        AuditEntry.objects.order_by("pk").values_list(
            "actor_name", "action", "target_repr", "changes"
        )
    )


def inline(prefix: str, rows: list[dict[str, str]], *, initial: int = 0) -> dict[str, str]:
    """An inline formset's management form and rows, as the admin's page posts them."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


def campus_form(
    *,
    closures: list[dict[str, str]] | None = None,
    special: list[dict[str, str]] | None = None,
    links: list[dict[str, str]] | None = None,
    **fields: str,
) -> dict[str, str]:
    """The campus page's POST: a campus open 08:00-12:00 and 13:00-22:00 on Mondays, with
    ``fields`` replacing any field and the inlines' rows given."""
    data = {
        "slug": "east",
        "name": "East Campus Library",
        "colour": "#1f4e79",
        "timezone": "America/Chicago",
        "website": "https://library.example.edu/east",
        "position": "3",
        **dict.fromkeys(WEEKDAYS, ""),
        "monday": "08:00-12:00, 13:00-22:00",
    }
    data.update(fields)
    data.update(inline("closures", closures or []))
    data.update(inline("special_hours", special or []))
    data.update(inline("links", links or []))
    return data


def errors_of(response: Any) -> str:
    """The text of the errors a re-shown admin form carries."""
    context = response.context
    found = [str(context["adminform"].form.errors)] if "adminform" in context else []
    found += [
        f"{formset.formset.non_form_errors()} {formset.formset.errors}"
        for formset in context.get("inline_admin_formsets", [])
    ]
    return html.unescape(" ".join(found))


def post(client: Client, url: str, data: dict[str, str]) -> Any:
    return client.post(url, data)
