"""Websocket routes."""

from django.urls import path

from refdesk.chats.consumers import PatronConsumer, StaffConsumer

websocket_urlpatterns = [
    path("ws/patron/<str:token>/", PatronConsumer.as_asgi()),
    path("ws/staff/", StaffConsumer.as_asgi()),
]
