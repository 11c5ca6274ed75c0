from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "refdesk.core"
    label = "core"
    verbose_name = "refdesk core"
