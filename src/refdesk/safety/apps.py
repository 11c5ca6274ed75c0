from importlib import import_module

from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "refdesk.safety"
    label = "safety"
    verbose_name = "Safety"

    def ready(self) -> None:
        # Importing events declares the app's shapes on the wire and its error codes;
        # importing frames registers its frames; the jobs purge what retention allows.
        import_module(f"{self.name}.events")
        import_module(f"{self.name}.frames")
        import_module(f"{self.name}.jobs").register_jobs()
