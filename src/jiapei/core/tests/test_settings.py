"""The settings: one declaration per environment variable, documented in the README, read
from the environment with a clear error, and read nowhere else.

The README's Configuration table is checked against ``jiapei.settings.declared`` (what
:func:`jiapei.settings.env` recorded while the settings module loaded), row by row and in order:
name, default as shown, meaning. A setting added, renamed or given another default in
``settings.py`` fails here until the README says the same.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from jiapei import envconfig
from jiapei import settings as module

SRC = Path(module.__file__).resolve().parent
README = SRC.parent.parent / "README.md"

# Inputs of single commands, not settings of the installation: documented under Configuration
# beside the table, read where the command needs them.
COMMAND_INPUTS = {"JIAPEI_PASSWORD", "JIAPEI_DEMO_PASSWORD"}
ENV_READ = re.compile(r"""(?:environ(?:\.get)?\s*[(\[]|getenv\s*\()\s*["']([A-Z_]+)["']""")


def readme_configuration_rows() -> list[tuple[str, str, str]]:
    """The rows of the first table under ``## Configuration``: (name, default, meaning)."""
    section = README.read_text(encoding="utf-8").split("\n## Configuration\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    rows = []
    for line in lines[2:]:  # after the header and the |---| line
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        assert len(cells) == 3, f"a Configuration row has 3 cells: {line!r}"
        name, default, meaning = cells
        rows.append((name.strip("`"), default, meaning))
    return rows


def declared_rows() -> list[tuple[str, str, str]]:
    return [(d.name, d.shown, d.meaning) for d in envconfig.declared.values()]


def test_the_readme_configuration_table_lists_every_declared_setting_with_its_default():
    expected = declared_rows()
    table = "\n".join(f"| `{name}` | {shown} | {meaning} |" for name, shown, meaning in expected)
    assert readme_configuration_rows() == expected, (
        "README.md's Configuration table differs from settings.py; it should read:\n" + table
    )


def test_every_jiapei_setting_is_declared_with_env():
    settings_names = {name for name in dir(module) if name.startswith("JIAPEI_")}
    assert settings_names
    assert settings_names <= set(envconfig.declared)
    assert "DATABASE_URL" in envconfig.declared


def test_no_other_module_reads_a_setting_from_the_environment_or_restates_a_default():
    read_elsewhere: dict[str, set[str]] = {}
    restated = []
    for path in SRC.rglob("*.py"):
        # The test kit (jiapei/testing) starts processes for tests with the test database.
        if path == Path(module.__file__).resolve() or {"tests", "testing"} & set(path.parts):
            continue
        text = path.read_text(encoding="utf-8")
        for name in ENV_READ.findall(text):
            if name.startswith("JIAPEI_") or name == "DATABASE_URL":
                read_elsewhere.setdefault(name, set()).add(str(path.relative_to(SRC)))
        if re.search(r"getattr\(\s*(?:django_)?settings\s*,", text):
            restated.append(str(path.relative_to(SRC)))
    assert set(read_elsewhere) == COMMAND_INPUTS, read_elsewhere
    assert restated == []


@pytest.mark.parametrize(
    ("raw", "default", "value"),
    [
        ("on", False, True),
        ("No", True, False),
        ("45", 30, 45),
        ("0.6", 0.1, 0.6),
        ("low, high,", ("high", "medium"), ("low", "high")),
        ('{"430100": 0.6}', {}, {"430100": 0.6}),
        ("/srv/jiapei", Path("var"), Path("/srv/jiapei")),
        ("", 30, 30),  # empty means the default for every type but a string
        ("", "http", ""),
        ("http://police.example", "http", "http://police.example"),
    ],
)
def test_read_parses_the_value_as_the_defaults_type(monkeypatch, raw, default, value):
    monkeypatch.setenv("JIAPEI_TEST_VALUE", raw)
    assert envconfig.read("JIAPEI_TEST_VALUE", default) == value


def test_read_without_the_variable_gives_a_copy_of_the_default(monkeypatch):
    monkeypatch.delenv("JIAPEI_TEST_VALUE", raising=False)
    default: dict[str, float] = {}
    value = envconfig.read("JIAPEI_TEST_VALUE", default)
    assert value == {} and value is not default


@pytest.mark.parametrize(
    ("raw", "default", "says"),
    [
        ("thirty", 30, "invalid literal for int"),
        ("maybe", False, "expected one of"),
        ("0,6", 0.1, "could not convert"),
        ("[0.6]", {}, "expected a JSON object"),
        ("{430100: 0.6}", {}, "Expecting property name"),
    ],
)
def test_a_value_that_does_not_parse_names_the_variable_and_the_value(
    monkeypatch, raw, default, says
):
    monkeypatch.setenv("JIAPEI_TEST_VALUE", raw)
    with pytest.raises(ImproperlyConfigured) as caught:
        envconfig.read("JIAPEI_TEST_VALUE", default)
    assert f"JIAPEI_TEST_VALUE={raw!r}" in str(caught.value)
    assert says in str(caught.value)


# The console command in a fresh process: the environment is read when the settings load.

PART_TWO = (
    "from datetime import date; from types import SimpleNamespace; "
    "from jiapei.audit.services.verdicts import syllabus_for; "
    "plan = syllabus_for(SimpleNamespace(applydate=date(2025, 1, 1))).plan('C1'); "
    "print('part 2 minutes:', plan.part(2).total_minutes)"
)


def run_jiapei(tmp_path: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """``jiapei ARGS`` with only ``variables`` of the JIAPEI_* and DATABASE_URL settings set."""
    script = Path(sys.executable).with_name("jiapei")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "jiapei.cli"]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("JIAPEI_") and k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        JIAPEI_DATA_DIR=str(tmp_path / "data"),
        **variables,
    )
    return subprocess.run(
        [*command, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip


def test_the_syllabus_file_in_the_environment_is_the_one_the_audit_uses(tmp_path):
    syllabus = tmp_path / "province-syllabus.json"
    override = {"2016": {"classes": {"C1": {"parts": {"2": {"total_minutes": 60}}}}}}
    syllabus.write_text(json.dumps({"overrides": override}), encoding="utf-8")

    national = run_jiapei(tmp_path, "shell", "-c", PART_TWO)
    provincial = run_jiapei(tmp_path, "shell", "-c", PART_TWO, JIAPEI_SYLLABUS_FILE=str(syllabus))

    assert national.returncode == 0, national.stderr
    assert provincial.returncode == 0, provincial.stderr
    assert "part 2 minutes: 960" in national.stdout  # the 2016 national syllabus
    assert "part 2 minutes: 60" in provincial.stdout


def test_a_bad_value_in_the_environment_stops_the_command_with_one_clear_line(tmp_path):
    missing = tmp_path / "no-such-syllabus.json"
    bad_file = run_jiapei(tmp_path, "check", JIAPEI_SYLLABUS_FILE=str(missing))
    bad_number = run_jiapei(tmp_path, "worker", "--once", JIAPEI_FRAUD_LOOKBACK_DAYS="thirty")

    assert bad_file.returncode != 0
    assert bad_file.stderr.strip() == f"jiapei: JIAPEI_SYLLABUS_FILE={str(missing)!r}: no such file"
    assert bad_number.returncode != 0
    assert bad_number.stderr.strip().startswith(
        "jiapei: environment variable JIAPEI_FRAUD_LOOKBACK_DAYS='thirty': "
    )
