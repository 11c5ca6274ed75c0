from importlib import import_module

from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "refdesk.directory"
    label = "directory"
    verbose_name = "Directory"

    def ready(self) -> None:
        # Importing events declares the app's shapes on the wire; importing frames
        # registers its part of the console's snapshot.
        import_module(f"{self.name}.events")
        import_module(f"{self.name}.frames")
