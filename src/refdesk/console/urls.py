from django.urls import path

from refdesk.console import safety, views

app_name = "console"

urlpatterns = [
    path("", views.console_show, name="console-show"),
    path("profile/", views.own_profile_create, name="own-profile-create"),
    path("safety/blocks/", safety.blocks_show, name="blocks-show"),
    path("safety/blocks/<int:block_id>/lift/", safety.block_lift, name="block-lift"),
    path("safety/incidents/", safety.incidents_show, name="incidents-show"),
    path("safety/incidents/<int:incident_id>/", safety.incident_show, name="incident-show"),
    path(
        "safety/incidents/<int:incident_id>/close/",
        safety.incident_close,
        name="incident-close",
    ),
    path(
        "safety/incidents/<int:incident_id>/follow-up/",
        safety.incident_follow_up,
        name="incident-follow-up",
    ),
]
