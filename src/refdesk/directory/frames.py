"""The directory's part of the console's snapshot: every active contact and course, which
the console searches, and which the campus panel and the crisis panel pick from."""

from __future__ import annotations

from typing import Any

from refdesk.core.frames import snapshot_part
from refdesk.directory.selectors import get_directory


@snapshot_part(order=50)
def directory_part(librarian: Any, after: int) -> dict[str, Any]:
    """``directory`` of the console's snapshot."""
    return {"directory": get_directory()}
