from importlib import import_module

from django.apps import AppConfig


class ChatsConfig(AppConfig):
    name = "refdesk.chats"
    label = "chats"

    def ready(self) -> None:
        # Django imports apps.py before models may be imported; these modules import them.
        # Importing events declares the app's shapes on the wire and its error codes.
        import_module(f"{self.name}.events")
        # Importing the frames module registers its frames and its snapshot part.
        import_module(f"{self.name}.frames")
        import_module(f"{self.name}.jobs").register_jobs()
