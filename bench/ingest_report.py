"""The report of the ingest benchmark: the figures as one dict (also the JSON) and the table
printed after the runs."""

from __future__ import annotations

import statistics
from typing import Any

from ingest_machine import SHARED_CPU_NOTE, summary

TARGET = 10000  # records/s end to end (the target on PostgreSQL)


def result(
    facts: dict[str, Any],
    e2e: list[dict[str, Any]],
    raw: dict[str, Any],
    audit: dict[str, Any],
    soaked: dict[str, Any] | None,
    records: int,
) -> dict[str, Any]:
    """The figures of the whole benchmark (printed by :func:`print_table` and as JSON)."""
    rates = [r["records_per_s"] for r in e2e]
    found = {
        "ok": True,
        "machine": facts,
        "end_to_end": summary(rates)
        | {
            "runs": rates,
            "latency_p50_ms": statistics.median(r["latency_p50_ms"] for r in e2e),
            "latency_p95_ms": statistics.median(r["latency_p95_ms"] for r in e2e),
            "cpu_share": {
                who: statistics.median(
                    r["cpu_seconds"][who] / r["cpu_seconds"]["available"] for r in e2e
                )
                for who in ("clients", "gunicorn_workers", "postgres")
            },
            "server_cpu_us_per_record": statistics.median(
                1e6 * r["cpu_seconds"]["gunicorn_workers"] / records for r in e2e
            ),
            "target": TARGET,
        },
        "raw": raw,
        "ratio_e2e_to_bulk_create": statistics.median(rates) / raw["bulk_create"]["median"],
        "audit": audit,
        "soak": soaked,
        "note": SHARED_CPU_NOTE.format(cores=facts["cores"]),
    }
    if "copy" in raw:
        found["ratio_e2e_to_copy"] = statistics.median(rates) / raw["copy"]["median"]
    return found


def row(label: str, v: dict[str, float]) -> str:
    return f"  {label:<44}{v['median']:>12,.0f}{v['min']:>12,.0f}{v['max']:>12,.0f}"


def print_table(r: dict[str, Any]) -> None:
    m, e = r["machine"], r["end_to_end"]
    lines = [
        "",
        f"minute-record ingest benchmark — {m['db']} {m['db_version']}",
        f"  machine: {m['cores']} cores ({m['cpu']}), Python {m['python']}, load at start "
        f"{', '.join(f'{x:.2f}' for x in m['loadavg_at_start'])}",
        f"  server: jiapei serve, {m['gunicorn_workers']} gunicorn workers × "
        f"{m['gunicorn_threads']} threads, CONN_MAX_AGE={m['conn_max_age']}; "
        f"{m['clients']} client processes; batch {m['batch']}",
        f"  data: {m['records_per_run']} minutes per run, {m['world']['students']} students, "
        f"{m['world']['terminals']} terminals, {m['world']['schools']} schools, "
        f"{m['world']['days']} days, ≤{m['world']['max_minutes_per_student_day']} min/student/day",
        "",
        f"  {'figure':<44}{'median':>12}{'min':>12}{'max':>12}",
        row("end-to-end HTTP ingest (records/s)", e),
    ]
    for name, raw in r["raw"].items():
        lines.append(row(f"raw insert, {name} (rows/s)", raw))
    audit = r["audit"]
    if audit.get("available"):
        lines.append(row("audit, first pass (minutes audited/s)", audit["minutes_per_s"]))
    else:
        lines.append("  audit: not available")
    if audit.get("available"):
        lines.append(
            f"  re-audit (nothing changed): {audit['reaudit_minutes_per_s']:,.0f} minutes/s; "
            f"{audit['minutes']} minutes of {audit['students']} students in "
            f"{audit['teaching_logs']} sessions"
        )
        lines.append(
            f"  audit, first pass in two processes (as two workers): "
            f"{audit['two_processes_minutes_per_s']:,.0f} minutes/s"
        )
    ratios = f"  ratio end-to-end / bulk_create: {r['ratio_e2e_to_bulk_create']:.2f}"
    if "ratio_e2e_to_copy" in r:
        ratios += f";  end-to-end / COPY: {r['ratio_e2e_to_copy']:.2f}"
    lines.append(ratios)
    lines.append(
        f"  batch latency p50 {e['latency_p50_ms']:.0f} ms, p95 {e['latency_p95_ms']:.0f} ms; "
        f"target ≥ {e['target']:,} records/s: {'met' if e['median'] >= e['target'] else 'NOT met'}"
    )
    shares = ", ".join(
        f"{k} {100 * v:.0f}%"
        for k, v in e["cpu_share"].items()
        if m["db"] == "postgres" or k != "postgres"
    )
    lines.append(
        f"  CPU during the runs (share of {m['cores']} cores): {shares}; gunicorn "
        f"{e['server_cpu_us_per_record']:.0f} µs CPU per record"
    )
    if audit.get("available"):
        verdict = "yes" if audit["minutes_per_s"]["median"] >= e["median"] else "NO"
        both = "yes" if audit["two_processes_minutes_per_s"] >= e["median"] else "NO"
        lines.append(
            f"  audit at least as fast as ingest: one process {verdict}; two processes "
            f"(two workers, as ingest has two gunicorn workers) {both}"
        )
    s = r.get("soak")
    if s:
        lines.append(
            f"  soak {s['seconds']:.0f}s: {s['records_accepted']} records "
            f"({s['records_per_s_with_signing']:,.0f}/s incl. just-in-time signing)"
            + (f", {len(s['failures'])} failed batches" if s["failures"] else "")
            + f"; {s['teaching_logs']} teaching logs, worker audited "
            f"{s['students_audited_by_worker']} students, "
            f"{s['audit_requests_pending_at_end']} audit requests pending at the end"
        )
        for label, key in (
            ("jiapei worker", "worker_rss"),
            ("gunicorn workers (sum)", "gunicorn_workers_rss_total"),
        ):
            w = s[key]
            if w:
                lines.append(
                    f"    {label} RSS MiB: first {w['first_mib']:.1f}, last {w['last_mib']:.1f}, "
                    f"max {w['max_mib']:.1f}, slope {w['slope_mib_per_min']:+.2f} MiB/min "
                    f"({w['samples']} samples)"
                )
        if s["worker_exited_early"] is not None:
            lines.append(f"    WARNING: the worker exited early ({s['worker_exited_early']})")
    lines.append(f"  note: {r['note']}")
    lines.append("")
    print("\n".join(lines), flush=True)
