from importlib import import_module

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "refdesk.core"
    label = "core"
    verbose_name = "refdesk core"

    def ready(self) -> None:
        # Django imports apps.py before models may be imported; these modules import them.
        # Importing events declares the envelope's shapes and the shared error codes.
        import_module(f"{self.name}.events")
        import_module(f"{self.name}.housekeeping").register_jobs()
