"""Fixtures of the console tests: ``ground``, the test school's approved training ground."""

from jiapei.testing.sessions import ground  # noqa: F401  (a fixture)
