"""Root conftest: load the shared fixtures."""

pytest_plugins = ["jiapei.testing.fixtures", "jiapei.testing.clock"]
