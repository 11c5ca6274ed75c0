from django.urls import path

from refdesk.console import views

app_name = "console"

urlpatterns = [
    path("", views.console_show, name="console-show"),
    path("profile/", views.own_profile_create, name="own-profile-create"),
]
