from importlib import import_module

from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "refdesk.safety"
    label = "safety"
    verbose_name = "Safety"

    def ready(self) -> None:
        # Importing events declares the app's shapes on the wire; importing frames
        # registers its part of the console's snapshot.
        import_module(f"{self.name}.events")
        import_module(f"{self.name}.frames")
        import_module(f"{self.name}.jobs").register_jobs()
        screening = import_module("refdesk.chats.screening")
        screening.register_screen(import_module(f"{self.name}.detector").screen)
