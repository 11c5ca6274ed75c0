"""Websocket routes.

A patron is known by the token in the path; a console by its session cookie, which the
staff consumer reads itself (see ``chats.consumers._session_key``).
"""

from django.urls import path

from refdesk.chats.consumers import PatronConsumer, StaffConsumer

websocket_urlpatterns = [
    path("ws/patron/<str:token>/", PatronConsumer.as_asgi()),
    path("ws/staff/", StaffConsumer.as_asgi()),
]
