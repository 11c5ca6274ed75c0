from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "refdesk.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.contrib import admin

        from refdesk.accounts.forms import DeskAdminAuthenticationForm

        # The admin's log-in page says why a throttled log-in was refused, as the desk's does.
        admin.site.login_form = DeskAdminAuthenticationForm
