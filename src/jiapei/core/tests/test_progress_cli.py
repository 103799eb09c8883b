"""Progress bars of long commands: on a terminal's stderr only, never with ``--quiet``, and
never changing the printed figures (the commands run through the ``jiapei`` console script with
stderr on a pseudo-terminal, as when a person runs them)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jiapei.testing.processes import check_ok, installation

pytestmark = pytest.mark.slow

SIMULATE = ["simulate", "--cities", "1", "--institutions", "1", "--students", "2", "--days", "2"]
# Every line ``jiapei simulate`` prints: its figures and nothing else.
SIMULATE_LINES = re.compile(
    r"|jiapei 训练日模拟 / training-day simulation .*"
    r"|  学时 sessions: .*|  接收结果 ingest: .*|  植入违规 planted violations: .*"
    r"|    [A-Z_]+ +\d+|  用时 elapsed: .*"
)
AUDITED = re.compile(r"audited (\d+) students, (\d+) minutes; (\d+) students changed")


def test_quiet_commands_print_only_their_figures_and_bars_only_go_to_a_terminal(
    tmp_path: Path,
) -> None:
    with installation(tmp_path) as inst:
        simulated = inst.run_on_terminal(*SIMULATE, "--quiet", timeout=300)
        assert check_ok(simulated) and simulated.stderr == "", simulated.stderr
        lines = simulated.stdout.splitlines()
        assert lines[1].startswith("jiapei 训练日模拟"), simulated.stdout
        assert all(SIMULATE_LINES.fullmatch(line) for line in lines), simulated.stdout

        # Without --quiet the terminal shows the audit's bar; stdout has the figures only.
        shown = inst.run_on_terminal("audit", "--all", timeout=300)
        first = AUDITED.fullmatch(check_ok(shown).splitlines()[0])
        assert first and int(first[1]) == 2 and int(first[3]) >= 1, shown.stdout
        # The bar is cleared when it closes, and tqdm redraws at most every 0.1 s, so how far
        # it got before clearing depends on the machine's speed; its total does not.
        assert "students audited" in shown.stderr and "/2 [" in shown.stderr, shown.stderr
        assert "students audited" not in shown.stdout

        quiet = inst.run_on_terminal("audit", "--all", "--quiet", timeout=300)
        assert quiet.stderr == "", quiet.stderr
        assert check_ok(quiet) == f"audited 2 students, {first[2]} minutes; 0 students changed\n"

        # Piped (not a terminal), a command draws no bar even without --quiet.
        piped = inst.run("audit", "--all", timeout=300)
        assert check_ok(piped) == quiet.stdout and piped.stderr == "", piped.stderr
