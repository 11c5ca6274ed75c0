from importlib import import_module

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "refdesk.core"
    label = "core"
    verbose_name = "refdesk core"

    def ready(self) -> None:
        # Django imports apps.py before models may be imported; this module imports them.
        import_module(f"{self.name}.housekeeping").register_jobs()
