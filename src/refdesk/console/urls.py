from django.urls import path

from refdesk.console import views

app_name = "console"

urlpatterns = [path("", views.console_show, name="console-show")]
