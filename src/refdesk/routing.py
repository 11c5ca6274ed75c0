"""Websocket routes.

Only the staff socket goes through the session and user middleware: a patron is known by
the token in the path, and two thousand patron sockets should not each carry a session.
"""

from channels.auth import AuthMiddlewareStack
from django.urls import path

from refdesk.chats.consumers import PatronConsumer, StaffConsumer

websocket_urlpatterns = [
    path("ws/patron/<str:token>/", PatronConsumer.as_asgi()),
    path("ws/staff/", AuthMiddlewareStack(StaffConsumer.as_asgi())),
]
