from importlib import import_module

from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "refdesk.console"
    label = "console"

    def ready(self) -> None:
        # Django imports apps.py before models may be imported; these modules import them.
        # Importing events declares the app's shapes on the wire and its error codes.
        import_module(f"{self.name}.events")
        import_module(f"{self.name}.jobs").register_jobs()
