"""HTTP routes."""

from django.contrib import admin
from django.urls import include, path

from refdesk.campuses.views import campus_colours
from refdesk.core import views as core_views
from refdesk.tickets import views as ticket_views
from refdesk.widget import views as widget_views

urlpatterns = [
    path("", widget_views.home_show, name="home"),
    path("example/<slug:campus>/", widget_views.example_show, name="example"),
    path("healthz", core_views.health_show, name="health"),
    path("api/campuses", widget_views.campus_list, name="api-campuses"),
    path("campuses.css", campus_colours, name="campus-colours"),
    path("api/chats", widget_views.chat_create, name="api-chat-create"),
    path("api/chats/status", widget_views.chat_status, name="api-chat-status"),
    path("api/tickets", ticket_views.ticket_create, name="api-ticket-create"),
    path("api/tickets/<str:token>", ticket_views.ticket_detail, name="api-ticket-detail"),
    path(
        "api/tickets/<str:token>/replies",
        ticket_views.ticket_reply_create,
        name="api-ticket-reply-create",
    ),
    path("tickets/<str:token>/", ticket_views.ticket_show, name="ticket-show"),
    path("accounts/", include("refdesk.accounts.urls")),
    path("console/", include("refdesk.console.urls")),
    path("", include("refdesk.widget.urls")),
    path("admin/", admin.site.urls),
]
