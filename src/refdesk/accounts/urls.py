from django.contrib.auth import views as auth_views
from django.urls import path

from refdesk.accounts.views import DeskLoginView

app_name = "accounts"

urlpatterns = [
    path("login/", DeskLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
