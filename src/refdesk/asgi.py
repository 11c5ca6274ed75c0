"""The one ASGI application: pages, API, static files and websockets.

Each process also runs the sweeper (presence and, later, chat timers) from the lifespan
startup; every sweep is an idempotent conditional update, so one process or ten agree.
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "refdesk.settings")

from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from refdesk.core.lifespan import LifespanMiddleware  # noqa: E402
from refdesk.core.origins import OriginCheck  # noqa: E402
from refdesk.routing import websocket_urlpatterns  # noqa: E402

# Every socket comes from the desk or an embedding site; each route narrows that further.
websocket_app = OriginCheck(URLRouter(websocket_urlpatterns), embedding=True)

application = LifespanMiddleware(
    ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_app})
)
