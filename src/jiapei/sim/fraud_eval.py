"""How well do the hours-fraud detectors find injected fraud? (``jiapei fraud evaluate``)

:func:`run` builds the demo world through the real signed API (as ``jiapei simulate`` does,
under the demo timing platform's key), plays ``--days`` training days in which a ``--share``
of the sessions carries one fraud pattern of :mod:`jiapei.sim.fraud` (each pattern at least
``--min-per-pattern`` sessions), audits them, scans every day (``fraud.services.scan_day``) and
the period (``scan_period``), then compares the stored findings with what was injected.

Definitions, per session of the run:

* a session is **flagged** by detector D when some finding of D lists the session's log
  (``Finding.logs`` includes its rnum);
* **honest** sessions carry neither an injected pattern nor a planted §6 violation;
* **recall** of pattern P = sessions injected with P flagged by detector P / sessions injected
  with P (the detector codes and the pattern codes are the same strings);
* per detector: the **honest rate** = honest sessions it flagged / honest sessions, and the
  **precision** = sessions it flagged that carry its own pattern / sessions it flagged;
* **honest flagged by any** = honest sessions flagged by at least one session-level detector
  (every detector but SCHOOL_*) / honest sessions.

The world is sized so that the share can reach the minimum: with ``--students 0`` (default)
each school gets enough students for (patterns × minimum / share) sessions over the days.
The command does not migrate; the caller's database must be ready.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TextIO

from jiapei.audit.tasks import drain_requests
from jiapei.core import clock, progress
from jiapei.core.actors import Actor
from jiapei.fraud.detectors.base import DETECTORS
from jiapei.fraud.models import Finding
from jiapei.sim.days import SimReport, simulate_days
from jiapei.sim.fraud import PATTERNS, FraudInjector
from jiapei.training.models import AuditRequest

DEFAULTS: dict[str, Any] = {
    "days": 5,
    "start": None,
    "seed": 20260901,
    "share": 0.15,
    "min_per_pattern": 20,
    "patterns": "",
    "cities": 3,
    "institutions": 2,
    "students": 0,
    "violation_share": 0.0,
    "json": "",
    "basic": False,
}
SESSIONS_PER_STUDENT_DAY = 0.9  # what ``sim.days`` plans on average (0, 1 or 2 sessions)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``jiapei fraud evaluate`` (see the module docstring)."""
    add = parser.add_argument
    add("--days", type=int, default=DEFAULTS["days"], help="training days to play")
    add("--start", type=date.fromisoformat, default=None, help="first day (default: today - days)")
    add("--seed", type=int, default=DEFAULTS["seed"])
    add("--share", type=float, default=DEFAULTS["share"], help="share of sessions with fraud")
    add("--min-per-pattern", type=int, default=DEFAULTS["min_per_pattern"])
    add("--patterns", default="", help=f"comma-separated patterns (default all): {PATTERNS}")
    add("--cities", type=int, default=DEFAULTS["cities"])
    add("--institutions", type=int, default=DEFAULTS["institutions"], help="per city")
    add("--students", type=int, default=0, help="per institution (0: sized for the minimum)")
    add(
        "--violation-share",
        type=float,
        default=0.0,
        help="share of sessions with a planted §6 violation too (not counted as honest)",
    )
    add("--json", default="", help="write the figures to this file")
    add(
        "--basic",
        action="store_true",
        help="the older, easier world (no fixed cameras, forms or hard honest cases)",
    )


@dataclass
class Evaluation:
    """The figures of one run (see the module docstring for the definitions)."""

    first_day: str
    last_day: str
    seed: int
    schools: int
    students: int
    sessions: int
    honest: int
    planted: int
    injected: dict[str, int]
    recall: dict[str, float | None]
    detectors: dict[str, dict[str, Any]]
    honest_flagged_any: int
    honest_flagged_any_rate: float | None
    shortfall: dict[str, int] = field(default_factory=dict)  # patterns below the minimum
    timings: dict[str, float] = field(default_factory=dict)
    # pattern -> form -> [flagged by the pattern's detector, injected] (``sim.hard``)
    forms: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    # honest hard case -> [sessions, flagged by any session-level detector]
    hard_cases: dict[str, list[int]] = field(default_factory=dict)
    honest_minutes: int = 0
    honest_minutes_void: int = 0
    void_reasons: dict[str, int] = field(default_factory=dict)  # honest minutes, by reason code


def _options(options: dict[str, Any]) -> dict[str, Any]:
    merged = {**DEFAULTS, **{k: v for k, v in options.items() if v is not None or k == "start"}}
    if merged["days"] < 1:
        raise ValueError("--days must be at least 1")
    if not 0 < merged["share"] <= 1:
        raise ValueError("--share must be in (0, 1]")
    if not 0 <= merged["violation_share"] <= 1:
        raise ValueError("--violation-share must be between 0 and 1")
    chosen = [p.strip().upper() for p in (merged["patterns"] or "").split(",") if p.strip()]
    unknown = set(chosen) - set(PATTERNS)
    if unknown:
        raise ValueError(f"unknown patterns {sorted(unknown)}; known: {', '.join(PATTERNS)}")
    merged["patterns"] = chosen or list(PATTERNS)
    return merged


def students_needed(options: dict[str, Any]) -> int:
    """Students per school so that ``share`` of the sessions reaches the minimum per pattern."""
    schools = options["cities"] * options["institutions"]
    sessions = len(options["patterns"]) * options["min_per_pattern"] / options["share"]
    per_day = sessions / options["days"] / SESSIONS_PER_STUDENT_DAY
    return max(6, min(80, math.ceil(per_day / schools)))


def run(options: dict[str, Any], stdout: TextIO) -> None:
    """Play, audit, scan and compare (see the module docstring); print the table and, with
    ``json``, write the figures there."""
    evaluation = evaluate(_options(options))
    stdout.write(table(evaluation))
    if options.get("json"):
        Path(options["json"]).write_text(
            json.dumps(asdict(evaluation), ensure_ascii=False, indent=1)
        )
        stdout.write(f"  数据 figures: {options['json']}\n")


def evaluate(options: dict[str, Any]) -> Evaluation:
    """The whole run on validated ``options`` (see :func:`_options`)."""
    days, seed = options["days"], options["seed"]
    first = options["start"] or clock.today() - timedelta(days=days)
    last = first + timedelta(days=days - 1)
    students = options["students"] or students_needed(options)
    timings: dict[str, float] = {}
    began = time.monotonic()
    report = play(options, first, students)
    timings["play"] = time.monotonic() - began
    actor = Actor.system("evaluation")
    began = time.monotonic()
    queued = AuditRequest.objects.count()
    with progress.tally(desc="students audited", total=queued, unit="student") as audited:
        while done := drain_requests(actor=actor, limit=50):
            audited.update(done)
    timings["audit"] = time.monotonic() - began
    began = time.monotonic()
    scan(first, last, actor)
    timings["scan"] = time.monotonic() - began
    evaluation = compare(report, first=first, last=last, seed=seed)
    evaluation.schools = options["cities"] * options["institutions"]
    evaluation.students = students * evaluation.schools
    evaluation.shortfall = {
        p: n
        for p in options["patterns"]
        if (n := evaluation.injected.get(p, 0)) < options["min_per_pattern"]
    }
    evaluation.timings = {k: round(v, 1) for k, v in timings.items()}
    return evaluation


def play(options: dict[str, Any], first: date, students: int) -> SimReport:
    """Build the demo world and play the days with injected fraud; return what was sent."""
    from jiapei.signing import Signer
    from jiapei.sim import world as sim_world
    from jiapei.sim.client import TimingPlatformClient
    from jiapei.sim.demo import DEMO_SERIAL, demo_key, demo_password, register_demo_platform

    users = sim_world.ensure_demo_users(demo_password())
    key = demo_key()
    platform = register_demo_platform(users, key)
    client = TimingPlatformClient.in_process(Signer(key, DEMO_SERIAL))
    # Enough cars and coaches for the students: about six practical sessions a car a day.
    cfg = sim_world.WorldConfig(
        seed=options["seed"],
        cities=options["cities"],
        institutions_per_city=options["institutions"],
        students_per_institution=students,
        cars_per_institution=max(4, math.ceil(students / 6)),
        coaches_per_institution=max(3, math.ceil(students / 8)),
        today=first,
    )
    injector = FraudInjector(
        seed=options["seed"],
        first_day=first,
        days=options["days"],
        share=options["share"],
        min_per_pattern=options["min_per_pattern"],
        patterns=options["patterns"],
        hard=not options.get("basic"),
    )
    try:
        world = sim_world.build_world(client, platform, users, cfg)
        return simulate_days(
            client,
            world,
            days=options["days"],
            start_day=first,
            seed=options["seed"],
            violation_share=options["violation_share"],
            injector=injector,
        )
    finally:
        client.close()


def scan(first: date, last: date, actor: Actor) -> None:
    """Every day of the period, then the period (the school-level detectors)."""
    from jiapei.fraud import services

    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    for day in progress.bar(days, desc="days scanned", unit="day"):
        services.scan_day(actor=actor, day=day)
    services.scan_period(actor=actor, first=first, last=last)


def flagged_by_detector(rnums: set[str]) -> dict[str, set[str]]:
    """detector -> the rnums among ``rnums`` that one of its findings lists."""
    through = Finding.logs.through.objects.filter(teachinglog__rnum__in=sorted(rnums))
    flagged: dict[str, set[str]] = defaultdict(set)
    for detector, rnum in through.values_list("finding__detector", "teachinglog__rnum"):
        flagged[detector].add(rnum)
    return flagged


def compare(report: SimReport, *, first: date, last: date, seed: int) -> Evaluation:
    """The figures of the module docstring, from the report and the stored findings."""
    injected = {s.rnum: s.injected for s in report.sessions if s.injected}
    planted = {s.rnum for s in report.sessions if s.planted and not s.injected}
    honest = {s.rnum for s in report.sessions} - set(injected) - planted
    flagged = flagged_by_detector({s.rnum for s in report.sessions})
    counts = Counter(injected.values())
    recall: dict[str, float | None] = {}
    for pattern in PATTERNS:
        mine = {r for r, p in injected.items() if p == pattern}
        recall[pattern] = len(mine & flagged[pattern]) / len(mine) if mine else None
    detectors: dict[str, dict[str, Any]] = {}
    any_flag: set[str] = set()
    for code in DETECTORS:
        hits = flagged.get(code, set())
        if not code.startswith("SCHOOL_"):
            any_flag |= hits
        own = {r for r in hits if injected.get(r) == code}
        detectors[code] = {
            "flagged": len(hits),
            "own_pattern": len(own),
            "other_pattern": len({r for r in hits if r in injected} - own),
            "planted": len(hits & planted),
            "honest": len(hits & honest),
            "honest_rate": len(hits & honest) / len(honest) if honest else None,
            "precision": len(own) / len(hits) if hits else None,
        }
    honest_any = len(any_flag & honest)
    forms: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    hard_cases: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for s in report.sessions:
        if s.injected:
            cell = forms[s.injected][s.form or "-"]
            cell[0] += s.rnum in flagged[s.injected]
            cell[1] += 1
        elif s.rnum in honest and s.form:
            hard_cases[s.form][0] += 1
            hard_cases[s.form][1] += s.rnum in any_flag
    minutes, void, reasons = voided_minutes(honest)
    return Evaluation(
        first_day=first.isoformat(),
        last_day=last.isoformat(),
        seed=seed,
        schools=0,
        students=0,
        sessions=len(report.sessions),
        honest=len(honest),
        planted=len(planted),
        injected={p: counts[p] for p in PATTERNS if counts[p]},
        recall=recall,
        detectors=detectors,
        honest_flagged_any=honest_any,
        honest_flagged_any_rate=honest_any / len(honest) if honest else None,
        forms={p: {f: list(v) for f, v in sorted(by.items())} for p, by in sorted(forms.items())},
        hard_cases={k: list(v) for k, v in sorted(hard_cases.items())},
        honest_minutes=minutes,
        honest_minutes_void=void,
        void_reasons=reasons,
    )


def voided_minutes(rnums: set[str]) -> tuple[int, int, dict[str, int]]:
    """(minutes, minutes the audit voided, voided minutes by reason code) of the sessions
    ``rnums``; a minute voided for several reasons counts once under each."""
    from django.db.models import Q

    from jiapei.fraud.loading import load_sessions

    total = void = 0
    reasons: Counter[str] = Counter()
    listed = sorted(rnums)
    for chunk in range(0, len(listed), 500):
        where = Q(rnum__in=listed[chunk : chunk + 500])
        for session in load_sessions(where, photos=False):
            for minute in session.minutes:
                total += 1
                if minute.valid is False or not minute.accepted:
                    void += 1
                    reasons.update(minute.codes or ("?",))
    return total, void, dict(reasons.most_common())


def _pct(value: float | None) -> str:
    return "   –  " if value is None else f"{value * 100:5.1f}%"


def table(e: Evaluation) -> str:
    """The figures as a plain-text table (zh-hans first)."""
    lines = [
        "",
        f"jiapei 学时造假检测评估 / fraud-detector evaluation {e.first_day} … {e.last_day}"
        f" (seed {e.seed})",
        f"  驾校 schools {e.schools}, 学员 students {e.students}, 学时 sessions {e.sessions}: "
        f"诚实 honest {e.honest}, 注入 injected {sum(e.injected.values())}, "
        f"植入违规 planted {e.planted}",
        "",
        f"  {'模式 pattern / 检测器 detector':<28}{'注入':>6}{'召回':>8}"
        f"{'命中':>7}{'诚实误报':>9}{'误报率':>8}{'精确率':>8}",
    ]
    for code in DETECTORS:
        d = e.detectors[code]
        injected = e.injected.get(code, 0)
        if not injected and not d["flagged"] and code not in PATTERNS:
            continue
        lines.append(
            f"  {code:<28}{injected:>6}{_pct(e.recall.get(code)):>8}{d['flagged']:>7}"
            f"{d['honest']:>9}{_pct(d['honest_rate']):>8}{_pct(d['precision']):>8}"
        )
    lines += [
        "",
        f"  诚实学时被任一检测器标记 honest sessions flagged by any session-level detector: "
        f"{e.honest_flagged_any}/{e.honest} = {_pct(e.honest_flagged_any_rate).strip()}",
    ]
    if e.forms:
        lines += ["", "  各形式召回 recall per form (flagged/injected):"]
        for pattern, by_form in e.forms.items():
            cells = ", ".join(f"{form} {hit}/{n}" for form, (hit, n) in by_form.items())
            lines.append(f"    {pattern:<24} {cells}")
    if e.hard_cases:
        lines.append("  诚实疑难情形 honest hard cases (flagged by any/sessions): " + ", ".join(
            f"{case} {flagged}/{n}" for case, (n, flagged) in e.hard_cases.items()
        ))  # fmt: skip
    if e.honest_minutes:
        share = e.honest_minutes_void / e.honest_minutes
        lines.append(
            f"  诚实学时被审核作废 honest minutes voided by the audit: {e.honest_minutes_void}/"
            f"{e.honest_minutes} = {_pct(share).strip()}"
            + (
                " — " + ", ".join(f"{k} {v}" for k, v in e.void_reasons.items())
                if e.void_reasons
                else ""
            )
        )
    for pattern, n in e.shortfall.items():
        lines.append(f"  ! {pattern}: 仅注入 only {n} sessions (below the minimum)")
    if e.timings:
        lines.append("  用时 elapsed: " + ", ".join(f"{k} {v:.1f} s" for k, v in e.timings.items()))
    return "\n".join(lines) + "\n"
