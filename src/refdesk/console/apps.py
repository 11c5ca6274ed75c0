from importlib import import_module

from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "refdesk.console"
    label = "console"

    def ready(self) -> None:
        # Django imports apps.py before models may be imported; these modules import them.
        import_module(f"{self.name}.jobs").register_jobs()
