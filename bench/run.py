"""``make bench``: refdesk and the bare relay under the same load, in one run.

Prints a table and, last, one line: ``bench: sockets=N stored_per_s=X baseline_per_s=Y
ratio=X/Y p99_ms_at_1000=Z p99_ms_with_reads=W``, W being the message p99 at 1,000 msg/s
while consoles reconnect and a supervisor fetches long chats (refdesk only).
Results go to bench/results/<date>.json. ``--scale`` runs refdesk as two processes on
PostgreSQL and Redis (both must be running) against the same single relay.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import loadgen
from bench.detector import measure as measure_detector
from bench.harness import (
    ROOT,
    ServerProcess,
    clean_env,
    cpu_seconds,
    free_port,
    fresh_postgres,
    make_desk,
    rss_bytes,
)

RATES = (250, 1000, 2000)
# The reads phase: this rate of messages, beside consoles that reconnect (each reading a
# full snapshot) and a supervisor's chat.fetch frames for long chats.
READS_RATE = 1000
RECONNECTS_PER_SECOND = 20
FETCHES_PER_SECOND = 50
PG_URL = os.environ.get("REFDESK_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("REFDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def raise_file_limit() -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Relay:
    def __init__(self, setup: Path, database: Path, log: Path) -> None:
        self.port = free_port()
        self.database = database
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "bench" / "baseline_relay.py"),
                "--setup",
                str(setup),
                "--database",
                str(database),
                "--port",
                str(self.port),
            ],
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "listening" not in log.read_text():
            time.sleep(0.1)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


async def drive(
    ports: list[int], pids: list[int], setup: dict[str, Any], options: Any, *, reads: bool
) -> dict[str, Any]:
    def cpu() -> float:
        return sum(cpu_seconds(pid) for pid in pids)

    def rss() -> int:
        return sum(rss_bytes(pid) for pid in pids)

    rss_idle = rss()
    desk, connect = await loadgen.open_desk(ports, setup, patrons=options.patrons)
    await asyncio.sleep(1)
    sockets = len(desk.patrons) + len(desk.librarians)
    rss_held = rss()
    print(f"  connected {sockets} sockets: {connect}", flush=True)
    result: dict[str, Any] = {
        "sockets": sockets,
        **connect,
        "rss_idle_mb": round(rss_idle / 2**20, 1),
        "rss_held_mb": round(rss_held / 2**20, 1),
        "kb_per_socket": round((rss_held - rss_idle) / sockets / 1024, 1),
        "rates": {},
    }
    for rate in RATES:
        before, started = cpu(), time.perf_counter()
        phase = await loadgen.offered_rate(desk, rate, options.seconds)
        used = cpu() - before
        phase["server_cpu_percent"] = round(100 * used / (time.perf_counter() - started), 1)
        phase["server_cpu_us_per_msg"] = round(1e6 * used / max(1, phase["delivered"]), 1)
        result["rates"][str(rate)] = phase
        print(f"  offered {rate}/s: {phase}", flush=True)
    before, started = cpu(), time.perf_counter()
    saturated = await loadgen.saturate(desk, options.seconds)
    used = cpu() - before
    saturated["server_cpu_percent"] = round(100 * used / (time.perf_counter() - started), 1)
    saturated["server_cpu_us_per_msg"] = round(1e6 * used / max(1, saturated["delivered"]), 1)
    result["saturated"] = saturated
    print(f"  saturated: {saturated}", flush=True)
    result["claim_fanout"] = await loadgen.claim_fanout(desk, setup["waiting"])
    print(f"  claim fan-out: {result['claim_fanout']}", flush=True)
    if reads:
        before, started = cpu(), time.perf_counter()
        phase = await loadgen.with_reads(
            desk,
            ports,
            setup,
            rate=READS_RATE,
            seconds=options.seconds,
            reconnects_per_second=RECONNECTS_PER_SECOND,
            fetches_per_second=FETCHES_PER_SECOND,
        )
        phase["server_cpu_percent"] = round(
            100 * (cpu() - before) / (time.perf_counter() - started), 1
        )
        result["with_reads"] = phase
        print(f"  offered {READS_RATE}/s with reads: {phase}", flush=True)
    result["acked_sum"] = desk.tracker.acked_total
    await loadgen.close_desk(desk)
    return result


def count_sqlite(path: Path, table: str) -> int:
    with sqlite3.connect(path) as db:
        return int(
            db.execute(f"SELECT count(*) FROM {table} WHERE body LIKE 'bench %'").fetchone()[0]
        )


def count_postgres(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as db:
        row = db.execute("SELECT count(*) FROM chats_message WHERE body LIKE 'bench %%'").fetchone()
        return int(row[0]) if row else 0


def run(options: Any) -> dict[str, Any]:
    raise_file_limit()
    work = Path(tempfile.mkdtemp(prefix="refdesk-bench-"))
    base_env = {
        # Production settings, as a real desk runs: no debug query log, no autoreload.
        "REFDESK_SECRET_KEY": secrets.token_urlsafe(48),
        "REFDESK_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "REFDESK_SECURE": "0",
        "REFDESK_DATA_DIR": str(work / "data"),
        "REFDESK_LOG_LEVEL": "WARNING",
        # The load is the point: per-socket frame limits would cap it, and every one of
        # its 2,100 sockets comes from one address.
        "REFDESK_RATE_FRAMES_PER_SECOND": "1000000",
        "REFDESK_RATE_FRAMES_BURST": "1000000",
        "REFDESK_RATE_MESSAGES_PER_CHAT_MINUTE": "1000000",
        "REFDESK_MAX_SOCKETS_PER_ADDRESS": "100000",
        "PYTHONPATH": str(ROOT / "src"),
    }
    if options.read_threads is not None:
        base_env["REFDESK_READ_THREADS"] = str(options.read_threads)
    if options.scale:
        base_env["REFDESK_DATABASE_URL"] = fresh_postgres(PG_URL, "refdesk_bench")
        base_env["REFDESK_REDIS_URL"] = REDIS_URL
    env = clean_env(**base_env)
    print(
        f"bench: setting up {options.patrons} chats and {options.librarians} librarians", flush=True
    )
    setup = make_desk(
        env,
        work / "setup.json",
        patrons=options.patrons,
        librarians=options.librarians,
        waiting=options.waiting,
        history=options.history,
    )

    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "mode": "scale: 2 processes, PostgreSQL + Redis" if options.scale else "1 process, SQLite",
        "seconds_per_phase": options.seconds,
        # The desk screens every patron message (REFDESK_SAFETY_SCREENING is on by
        # default); this is what one screen costs, measured apart from the load.
        "detector": measure_detector(),
    }
    servers = [
        ServerProcess(env, work / f"server{i}.log").start()
        for i in range(2 if options.scale else 1)
    ]
    try:
        print(f"bench: refdesk ({results['mode']})", flush=True)
        desk = asyncio.run(
            drive([s.port for s in servers], [s.pid for s in servers], setup, options, reads=True)
        )
    finally:
        for server in servers:
            server.stop()
    stored = (
        count_postgres(base_env["REFDESK_DATABASE_URL"])
        if options.scale
        else count_sqlite(work / "data" / "refdesk.sqlite3", "chats_message")
    )
    desk["rows_stored"] = stored
    results["refdesk"] = desk

    if options.skip_baseline:
        return {
            **results,
            "summary": {
                "stored_per_s": desk["saturated"]["delivered_per_s"],
                "p99_ms_at_1000": desk["rates"]["1000"]["p99_ms"],
                "p99_ms_with_reads": desk["with_reads"]["p99_ms"],
            },
        }
    relay = Relay(work / "setup.json", work / "relay.sqlite3", work / "relay.log")
    try:
        print("bench: baseline relay", flush=True)
        base = asyncio.run(drive([relay.port], [relay.pid], setup, options, reads=False))
    finally:
        relay.stop()
    base["rows_stored"] = count_sqlite(work / "relay.sqlite3", "message")
    results["baseline"] = base

    stored_per_s = desk["saturated"]["delivered_per_s"]
    baseline_per_s = base["saturated"]["delivered_per_s"]
    results["summary"] = {
        "detector_us_per_message": results["detector"]["us_per_message"],
        "sockets": desk["sockets"],
        "stored_per_s": stored_per_s,
        "baseline_per_s": baseline_per_s,
        "ratio": round(stored_per_s / baseline_per_s, 2) if baseline_per_s else None,
        "p99_ms_at_1000": desk["rates"]["1000"]["p99_ms"],
        "p99_ms_with_reads": desk["with_reads"]["p99_ms"],
        "kb_per_socket": desk["kb_per_socket"],
        "lost": sum(p["lost"] for p in desk["rates"].values())
        + desk["saturated"]["lost"]
        + desk["with_reads"]["lost"],
        "rows_match_acks": stored == desk["acked_sum"],
    }
    return results


def table(results: dict[str, Any]) -> str:
    rows = ["| figure | refdesk | baseline relay |", "|---|---|---|"]
    d, b = results["refdesk"], results["baseline"]
    rows.append(f"| sockets held | {d['sockets']} | {b['sockets']} |")
    rows.append(
        f"| connect p50 / p99 (ms) | {d['connect_p50_ms']} / {d['connect_p99_ms']} | "
        f"{b['connect_p50_ms']} / {b['connect_p99_ms']} |"
    )
    rows.append(f"| memory per socket (KB) | {d['kb_per_socket']} | {b['kb_per_socket']} |")
    for rate in RATES:
        x, y = d["rates"][str(rate)], b["rates"][str(rate)]
        rows.append(
            f"| {rate} msg/s offered: p50 / p99 (ms), CPU % | {x['p50_ms']} / {x['p99_ms']}, "
            f"{x['server_cpu_percent']} | {y['p50_ms']} / {y['p99_ms']}, {y['server_cpu_percent']} |"
        )
    rows.append(
        f"| saturated stored+delivered msg/s | {d['saturated']['delivered_per_s']} | "
        f"{b['saturated']['delivered_per_s']} |"
    )
    rows.append(
        f"| CPU per message at saturation (µs) | {d['saturated']['server_cpu_us_per_msg']} | "
        f"{b['saturated']['server_cpu_us_per_msg']} |"
    )
    rows.append(
        f"| lost / duplicated | {results['summary']['lost']} / "
        f"{sum(p['duplicates'] for p in d['rates'].values())} | — |"
    )
    rows.append(
        f"| rows stored / acks | {d['rows_stored']} / {d['acked_sum']} | "
        f"{b['rows_stored']} / {b['acked_sum']} |"
    )
    rows.append(
        f"| claim fan-out to every console, p50 / p99 (ms) | "
        f"{d['claim_fanout']['p50_ms']} / {d['claim_fanout']['p99_ms']} | "
        f"{b['claim_fanout']['p50_ms']} / {b['claim_fanout']['p99_ms']} |"
    )
    r = d["with_reads"]
    storm, fetches = r["reconnect_storm"], r["supervisor_fetches"]
    rows.append(
        f"| {READS_RATE} msg/s offered with reads: p50 / p99 (ms), CPU % | "
        f"{r['p50_ms']} / {r['p99_ms']}, {r['server_cpu_percent']} | — |"
    )
    rows.append(
        f"| console reconnects with snapshot ({storm['per_s']}/s): p50 / p99 (ms) | "
        f"{storm['snapshot_p50_ms']} / {storm['snapshot_p99_ms']} | — |"
    )
    rows.append(
        f"| chat.fetch of {fetches['messages_per_chat']} messages ({fetches['per_s']}/s): "
        f"p50 / p99 (ms) | {fetches['fetch_p50_ms']} / {fetches['fetch_p99_ms']} | — |"
    )
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", action="store_true")
    parser.add_argument("--patrons", type=int, default=2000)
    parser.add_argument("--librarians", type=int, default=100)
    parser.add_argument("--waiting", type=int, default=20)
    parser.add_argument("--history", type=int, default=100, help="long chats to fetch")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument(
        "--read-threads",
        type=int,
        default=None,
        help="REFDESK_READ_THREADS for the server (0: reads on the writer's thread)",
    )
    parser.add_argument("--skip-baseline", action="store_true", help="profiling runs only")
    options = parser.parse_args()
    results = run(options)
    if options.skip_baseline:
        print(json.dumps(results["summary"]))
        return 0
    out = (
        ROOT
        / "bench"
        / "results"
        / (
            dt.datetime.now(dt.UTC).date().isoformat()
            + ("-scale" if options.scale else "")
            + ".json"
        )
    )
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"bench: results in {out.relative_to(ROOT)}")
    s = results["summary"]
    print(
        f"bench: sockets={s['sockets']} stored_per_s={s['stored_per_s']} "
        f"baseline_per_s={s['baseline_per_s']} ratio={s['ratio']} "
        f"p99_ms_at_1000={s['p99_ms_at_1000']} p99_ms_with_reads={s['p99_ms_with_reads']} "
        f"detector_us_per_message={s['detector_us_per_message']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
