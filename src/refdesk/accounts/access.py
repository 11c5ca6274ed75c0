"""Who may act: a console's librarian, checked against the live session and role."""

from __future__ import annotations

from refdesk.accounts.models import Librarian
from refdesk.accounts.selectors import get_live_librarians
from refdesk.core.errors import ActionError


def access_librarian(session_key: str, librarian_id: int, *, role: str = "librarian") -> Librarian:
    """The librarian this console's session still belongs to, as the database has them now,
    who must have ``role`` (``"supervisor"``: a supervisor or an admin).

    Raises ``ActionError("unauthenticated")`` once the session has ended (logged out,
    expired, a changed password, a deactivated account) and ``ActionError("forbidden")``
    for a role the librarian does not have now (a demotion counts at once).
    """
    librarian = get_live_librarians({session_key: librarian_id}).get(session_key)
    if librarian is None or librarian.pk != librarian_id:
        raise ActionError("unauthenticated", "Your session has ended; log in again.")
    if role == "supervisor" and not librarian.is_supervisor:
        raise ActionError("forbidden", "Only a supervisor or an admin can do that.")
    return librarian
