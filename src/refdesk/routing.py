"""Websocket routes.

A patron is known by the token in the path; a console by its session cookie, which the
staff consumer reads itself (see ``console.consumers.session_key_of``). Each face owns its
socket; the apps bring the frames (``core.frames``).
"""

from typing import Any

from django.urls import path

from refdesk.console.consumers import StaffConsumer
from refdesk.core.origins import OriginCheck
from refdesk.widget.consumers import PatronConsumer


def _from(app: Any, *, embedding: bool) -> Any:
    """``app`` behind its origin rule (Django's ``path`` is typed for views, not ASGI)."""
    return OriginCheck(app, embedding=embedding)


# The staff socket accepts only the desk's own origins; the patron's side also accepts
# the configured embedding sites (see core/origins.py).
websocket_urlpatterns = [
    path("ws/patron/<str:token>/", _from(PatronConsumer.as_asgi(), embedding=True)),
    path("ws/staff/", _from(StaffConsumer.as_asgi(), embedding=False)),
]
