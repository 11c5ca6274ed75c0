from importlib import import_module

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "refdesk.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Django imports apps.py before models may be imported; these modules import them.
        # Importing events declares the app's shapes on the wire and its error codes.
        import_module(f"{self.name}.events")
        # Importing the frames module registers its snapshot part.
        import_module(f"{self.name}.frames")
        import_module(f"{self.name}.jobs").register_jobs()
        # The admin's log-in page says why a throttled log-in was refused, as the desk's does.
        forms = import_module(f"{self.name}.forms")
        import_module("django.contrib.admin").site.login_form = forms.DeskAdminAuthenticationForm
