from django.apps import AppConfig


class CliConfig(AppConfig):
    name = "jiapei.cli"
    label = "cli"
    verbose_name = "jiapei command line and composition"
