"""``core.progress``: bars only when a command asked for them and stderr is a terminal."""

from __future__ import annotations

import io
import sys

import pytest

from jiapei.core import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def on_terminal(monkeypatch: pytest.MonkeyPatch) -> Terminal:
    """stderr becomes a terminal. Done inside the test: pytest's output capture resets
    ``sys.stderr`` between a fixture's setup and the test."""
    stream = Terminal()
    monkeypatch.setattr(sys, "stderr", stream)
    return stream


def test_no_bar_unless_a_command_switched_progress_on(monkeypatch):
    terminal = on_terminal(monkeypatch)
    assert list(progress.bar(range(3), desc="days")) == [0, 1, 2]
    assert terminal.getvalue() == ""


def test_a_shown_bar_counts_and_estimates_the_time_left_on_the_terminal(monkeypatch):
    terminal = on_terminal(monkeypatch)
    with progress.shown():
        assert list(progress.bar(iter("ab"), desc="students audited", total=2)) == ["a", "b"]
    drawn = terminal.getvalue()
    assert "students audited" in drawn and "0/2" in drawn and "<?" in drawn  # ETA not known yet


def test_lines_written_during_a_bar_reach_stdout_unchanged(monkeypatch, capsys):
    terminal = on_terminal(monkeypatch)
    with progress.shown():
        for n in progress.bar(range(2), desc="runs"):
            progress.write(f"run {n}: 5,622 records/s")
    assert capsys.readouterr().out == "run 0: 5,622 records/s\nrun 1: 5,622 records/s\n"
    assert "runs" in terminal.getvalue()
    progress.write("outside")
    assert capsys.readouterr().out == "outside\n"


def test_a_tally_counts_work_done_in_steps(monkeypatch):
    terminal = on_terminal(monkeypatch)
    with progress.tally(desc="students audited", total=120) as audited:
        audited.update(50)  # not shown: no command asked for bars
    assert terminal.getvalue() == ""
    with progress.shown(), progress.tally(desc="students audited", total=120) as audited:
        audited.update(50)
        audited.update(50)
        assert audited.n == 100  # drawn at most ten times a second, so read the count
    assert "students audited" in terminal.getvalue() and "/120" in terminal.getvalue()


def test_no_bar_when_stderr_is_not_a_terminal(monkeypatch):
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    with progress.shown():
        assert not progress.active()
        assert list(progress.bar(range(2), desc="days")) == [0, 1]
    assert piped.getvalue() == ""


def test_the_outermost_decision_holds(monkeypatch):
    on_terminal(monkeypatch)
    with progress.shown(False), progress.shown(True):
        assert not progress.active()
    with progress.shown(True), progress.shown(False):
        assert progress.active()
    assert not progress.active()


class Command:
    seen: list[bool]

    @progress.shows_progress
    def handle(self, *args, **options):
        self.seen.append(progress.active())


def test_quiet_switches_a_commands_bars_off(monkeypatch):
    on_terminal(monkeypatch)
    command = Command()
    command.seen = []
    command.handle(quiet=False)
    command.handle(quiet=True)
    command.handle()
    assert command.seen == [True, False, True]
