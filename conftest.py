"""Root conftest: load the shared fixtures.

The helpers in ``jiapei.testing`` assert things on the tests' behalf; registering the package
for pytest's assertion rewriting makes their failures as detailed as a test's own.
"""

import pytest

pytest.register_assert_rewrite("jiapei.testing")

pytest_plugins = ["jiapei.testing.fixtures", "jiapei.testing.clock", "jiapei.testing.browser"]
