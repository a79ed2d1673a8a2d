"""Run the real `painbot serve` (CLI, uvicorn, real Bot and index) in a subprocess on a free local port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 180  # a cold machine may build the index first


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"server not up after {STARTUP_TIMEOUT_S} s:\n{log.read_text()[-4000:]}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def running(command: list[str], health_path: str, port: int, log: Path, **popen) -> Iterator[str]:
    """Start `command`, wait until `health_path` answers 200 on `port`, yield the base URL, stop it."""
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, **popen)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}{health_path}", process, log)
        yield base
    finally:
        stop(process)


@contextmanager
def painbot_server(settings, log_dir: Path, env: Mapping[str, str | None] = ()) -> Iterator[str]:
    """Serve with the test session's corpus and index; `env` adds PAINBOT_* settings (a None value removes
    that variable). Yields the base URL."""
    port = free_port()
    full_env = {
        **os.environ,
        "PAINBOT_CORPUS": str(settings.corpus_dir),
        "PAINBOT_INDEX": str(settings.index_dir),
        "PAINBOT_COUNTRY": settings.country,
        "PAINBOT_HOST": "127.0.0.1",
        "PAINBOT_PORT": str(port),
        **dict(env),
    }
    full_env = {k: v for k, v in full_env.items() if v is not None}
    command = [sys.executable, "-m", "bot", "serve"]
    with running(command, "/api/health", port, log_dir / f"server-{port}.log", cwd=ROOT, env=full_env) as base:
        yield base


@contextmanager
def static_server(directory: Path, log_dir: Path) -> Iterator[str]:
    """A second origin: `python -m http.server` serving `directory`. Yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    with running(command, "/", port, log_dir / f"static-{port}.log", cwd=directory) as base:
        yield base
