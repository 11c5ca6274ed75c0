from django.urls import path

from refdesk.widget import views

app_name = "widget"

urlpatterns = [
    path("ask/<slug:campus>/", views.ask_show, name="ask-show"),
    path("widget.js", views.widget_script, name="widget-script"),
]
