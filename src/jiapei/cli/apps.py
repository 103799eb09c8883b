from django.apps import AppConfig


class CliConfig(AppConfig):
    name = "jiapei.cli"
    label = "cli"
    verbose_name = "jiapei command line and composition"

    def ready(self) -> None:
        # Every process that loads the apps (server, worker, commands, tests) gets the same
        # wiring, whichever entry point started it.
        from jiapei.cli import hooks

        hooks.connect()
