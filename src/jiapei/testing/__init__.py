"""Test support: payload factories and pytest fixtures (loaded by the root ``conftest.py``).

Only the test suite imports this package; it needs the ``dev`` extra (factory-boy, pytest).
"""
