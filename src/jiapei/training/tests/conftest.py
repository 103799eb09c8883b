"""Fixtures of the training tests: ``ground``, the test school's approved training ground."""

from jiapei.testing.sessions import ground  # noqa: F401  (a fixture)
