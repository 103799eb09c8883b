"""Browser tests in Debian's Chromium, driven by Playwright (DESIGN §9, reference/ui.md §6).

``as_user(username)`` logs a user in through the real login page of a live server and returns
a :class:`Browser` helper; ``shot(name)`` saves a full-page screenshot under
``var/screenshots/<end>/`` (git-ignored) so a reviewer can look at the pages. Playwright's own
browser download is never used: the launch names ``/usr/bin/chromium``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jiapei.testing.fixtures import PASSWORD

CHROMIUM = os.environ.get("JIAPEI_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        # The machine's network is closed: without these Chromium retries Google's hosts.
        "args": [
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_context_args,
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
        "viewport": {"width": 1440, "height": 900},
    }


@dataclass
class Browser:
    page: Any
    base: str
    end: str = "console"

    def go(self, path: str) -> Any:
        """Open ``path``; returns the response (its ``status`` is checked by the caller)."""
        return self.page.goto(self.base + path)

    def shot(self, name: str) -> Path:
        folder = SCREENSHOTS / self.end
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
        return path


@pytest.fixture(scope="session")
def _orm_under_playwright() -> Iterator[None]:
    """Playwright's sync API runs an event loop in the test's thread, so Django's ORM needs
    leave to run under it (microsoft/playwright-pytest#29) — until the session ends, because
    the database is flushed after the browser's fixtures are torn down."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def web(_orm_under_playwright: None, live_server: Any, page: Any) -> Browser:
    """A logged-out browser on a live server."""
    return Browser(page, live_server.url)


@pytest.fixture
def as_user(web: Browser) -> Callable[..., Browser]:
    """Log ``username`` in through the login page (password: the fixtures' ``PASSWORD``)."""

    def login(username: str, password: str = PASSWORD) -> Browser:
        web.go("/accounts/login/")
        web.page.get_by_label("用户名").fill(username)
        web.page.get_by_label("密码").fill(password)
        web.page.get_by_role("button", name="登录").click()
        web.page.wait_for_load_state()
        return web

    return login
