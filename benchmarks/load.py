"""HTTP load: `painbot serve` on a free 127.0.0.1 port, then concurrent clients POSTing /api/chat with the dev
questions for a fixed time; latency, requests/s, errors and the server's resident memory while it serves.

Three phases against the same server (`--workers N` worker processes):
* worst request: the largest /api/chat body the limits allow (a 2,000-character message and as many
  2,000-character user turns as fit in 64 KB), sent one at a time: wall time and the server's CPU per request,
  beside the same message without history (the cost beyond the message);
* back to back: each client sends its next message as soon as it has the reply (a closed loop: the
  latency then mostly measures the queue, about clients / requests-per-second);
* paced: each client pauses between messages, a random think time (exponential, mean `think_s`), as chat
  users do; starts are staggered so the clients do not arrive in step.

The load generator is bounded twice: each phase stops at its deadline and after `max_requests` requests,
whichever comes first. Only 127.0.0.1 is ever contacted.

    python -m benchmarks.load [--quick] [--workers N]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import signal
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from benchmarks.common import (
    ROOT,
    MemorySampler,
    child_env,
    dev_rows,
    free_port,
    painbot,
    percentile,
    process_tree,
)

HOST = "127.0.0.1"
READY_TIMEOUT = 180.0
WORST_REPEATS = 3


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes so far (from /proc/<pid>/stat)."""
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _worst(base: str, server_pid: int, repeats: int = WORST_REPEATS) -> dict:
    """The worst request the limits allow, against the same message alone: wall and server CPU per request."""
    from bot.validate import MAX_CHARS
    from bot.web.api import MAX_BODY_BYTES, MAX_HISTORY_TURNS

    worst_text = "a," * (MAX_CHARS // 2)
    history: list[dict] = []
    while len(history) < MAX_HISTORY_TURNS:
        turn = {"role": "user" if len(history) % 2 == 0 else "assistant", "content": worst_text}
        if len(json.dumps({"message": worst_text, "history": [*history, turn]}).encode()) > MAX_BODY_BYTES:
            break
        history.append(turn)
    pids = process_tree(server_pid)
    figures = {}
    with httpx.Client(base_url=base, timeout=120, trust_env=False) as client:
        for name, body in (("message_alone", {"message": worst_text}),
                           ("worst_body", {"message": worst_text, "history": history})):  # fmt: skip
            walls, cpus, statuses = [], [], Counter()
            for _ in range(repeats):
                cpu, started = _cpu_seconds(pids), time.perf_counter()
                statuses[client.post("/api/chat", json=body).status_code] += 1
                walls.append((time.perf_counter() - started) * 1000)
                cpus.append((_cpu_seconds(pids) - cpu) * 1000)
            figures[name] = {
                "body_bytes": len(json.dumps(body).encode()),
                "max_wall_ms": round(max(walls), 1),
                "median_cpu_ms": round(sorted(cpus)[len(cpus) // 2], 1),
                "max_cpu_ms": round(max(cpus), 1),
                "statuses": dict(statuses),
            }
    figures["history_turns"] = len(history)
    figures["extra_cpu_ms"] = round(
        figures["worst_body"]["median_cpu_ms"] - figures["message_alone"]["median_cpu_ms"], 1
    )
    return figures


def _wait_ready(base: str, proc: subprocess.Popen, log: Path) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < READY_TIMEOUT:
        if proc.poll() is not None:
            raise RuntimeError(f"painbot serve exited {proc.returncode}: {log.read_text()[-800:]}")
        try:
            if httpx.get(f"{base}/api/health", timeout=2, trust_env=False).status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"painbot serve not ready after {READY_TIMEOUT:.0f} s: {log.read_text()[-800:]}")


async def _load(
    base: str, questions: list[str], clients: int, duration: float, max_requests: int, think_s: float
) -> dict:
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    issued = itertools.count()
    rng = random.Random(0)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits, trust_env=False) as client:

        async def ask(question: str) -> None:
            started = time.perf_counter()
            try:
                response = await client.post("/api/chat", json={"message": question})
                ok = response.status_code == 200 and "kind" in response.json()
                key = "" if ok else f"HTTP {response.status_code}"
            except (httpx.HTTPError, ValueError) as exc:
                key = type(exc).__name__
            if key:
                errors[key] += 1
            else:
                latencies.append((time.perf_counter() - started) * 1000)

        await asyncio.gather(*(ask(questions[i % len(questions)]) for i in range(clients)))  # untimed warm-up
        latencies.clear()
        errors.clear()
        deadline = time.perf_counter() + duration

        async def worker() -> None:
            if think_s:
                await asyncio.sleep(rng.uniform(0, think_s))
            while time.perf_counter() < deadline:
                n = next(issued)
                if n >= max_requests:
                    return
                await ask(questions[n % len(questions)])
                if think_s:
                    await asyncio.sleep(min(rng.expovariate(1 / think_s), max(0.0, deadline - time.perf_counter())))

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    done = len(latencies) + sum(errors.values())
    return {
        "think_time_s": think_s,
        "requests": done,
        "seconds": round(elapsed, 2),
        "requests_per_s": round(done / elapsed, 1),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "max_ms": round(max(latencies, default=float("nan")), 1),
        "stopped_by": "max_requests" if done >= max_requests else "time",
    }


def run(quick: bool = False, workers: tuple[int, ...] = (1, 2), **options) -> dict:
    """One server per worker count, each through the three phases; the first run's figures also at the top."""
    runs = [run_server(quick, workers=n, **options) for n in workers]
    return {**runs[0], "runs": runs}


def run_server(
    quick: bool = False,
    clients: int = 32,
    duration: float | None = None,
    max_requests: int = 50_000,
    think_s: float = 2.0,
    paced_duration: float | None = None,
    workers: int = 1,
    worst_repeats: int = WORST_REPEATS,
) -> dict:
    """A back-to-back phase of `duration` s, then a paced one (mean think time `think_s`) of `paced_duration`
    s; a paced duration of 0 skips that phase."""
    duration = duration if duration is not None else (10.0 if quick else 30.0)
    paced_duration = paced_duration if paced_duration is not None else (10.0 if quick else 30.0)
    questions = [r["question"] for r in dev_rows("questions")]
    port = free_port()
    base = f"http://{HOST}:{port}"
    phases: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="painbot-bench-serve-") as tmp:
        log = Path(tmp) / "serve.log"
        env = child_env(PAINBOT_RATE_LIMIT="1000000", PAINBOT_FEEDBACK=str(Path(tmp) / "feedback.jsonl"))
        with log.open("w") as log_file:
            proc = subprocess.Popen(
                painbot("serve", "--host", HOST, "--port", str(port), "--workers", str(workers)),
                cwd=ROOT,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        memory = MemorySampler(proc.pid, interval=0.1).start()
        try:
            ready_s = _wait_ready(base, proc, log)
            idle_mb = memory.peak_mb
            phases["worst_request"] = _worst(base, proc.pid, worst_repeats)
            phases["back_to_back"] = asyncio.run(_load(base, questions, clients, duration, max_requests, 0.0))
            if paced_duration:
                phases["paced"] = asyncio.run(_load(base, questions, clients, paced_duration, max_requests, think_s))
            if any(p.get("errors") for p in phases.values()):
                phases["server_log_tail"] = log.read_text(errors="replace")[-2000:]
        finally:
            memory.stop()
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return {
        "workers": workers,
        "clients": clients,
        "duration_s": duration,
        "max_requests": max_requests,
        **phases,
        "server_ready_s": round(ready_s, 1),
        "server_rss_idle_mb": round(idle_mb),
        "server_rss_peak_mb": round(memory.peak_mb),
        "server_rss_hwm_mb": round(memory.hwm_mb),
        "server_memory_mb": round(memory.max_mb),
        "server_rss_per_worker_mb": round(memory.hwm_mb),  # the largest single process's high-water mark
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    print(json.dumps(run_server(args.quick, workers=args.workers), indent=2))
