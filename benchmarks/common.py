"""What every benchmark shares: paths, the dev set, order statistics, `painbot` subprocesses, and peak
resident memory of a process tree read from /proc (no extra dependency)."""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "benchmarks" / "results"


def settings():
    """The project's Settings, with relative corpus and index paths taken from the project folder."""
    from bot.config import Settings

    s = Settings()
    return s.with_overrides(corpus_dir=ROOT / s.corpus_dir, index_dir=ROOT / s.index_dir)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_jsonl(path: Path, rows: Iterable[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def eval_dir() -> Path:
    """The dev set's folder: PAINBOT_EVAL_DIR, else ../shared/eval/dev next to the checkout."""
    return Path(os.environ.get("PAINBOT_EVAL_DIR", ROOT.parent / "shared" / "eval" / "dev"))


def dev_rows(*names: str) -> list[dict]:
    """Rows of the named dev files (e.g. "questions", "redflags"), in that order."""
    folder = eval_dir()
    if not folder.is_dir():
        raise FileNotFoundError(f"the dev set is not at {folder}; set PAINBOT_EVAL_DIR to its folder")
    return [row for name in names for row in read_jsonl(folder / f"{name}.jsonl")]


# -- order statistics ----------------------------------------------------------------------------------
def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): a value that was really observed."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def median(values: Iterable[float]) -> float:
    values = list(values)
    return statistics.median(values) if values else math.nan


def spread(values: Sequence[float], digits: int = 3) -> dict:
    """Median of several runs plus the range, so a reader sees how stable the figure was."""
    return {
        "median": round(median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "n": len(values),
        "runs": [round(v, digits) for v in values],
    }


# -- painbot subprocesses --------------------------------------------------------------------------------
def painbot(*args: str) -> list[str]:
    """The installed `painbot` console script next to this interpreter, else `python -m bot`."""
    script = Path(sys.executable).with_name("painbot")
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "bot", *args]


def child_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    s = settings()
    env.setdefault("PAINBOT_CORPUS", str(s.corpus_dir))
    env.setdefault("PAINBOT_INDEX", str(s.index_dir))
    return {**env, **extra}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- memory ------------------------------------------------------------------------------------------------
def _status_kb(pid: int, key: str) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(rf"^{key}:\s+(\d+)", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


def process_tree(pid: int) -> list[int]:
    """pid and all its descendants (from the parent ids in /proc/*/stat)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo += parents.get(p, [])
    return tree


@dataclass
class MemorySampler:
    """Samples the resident memory of a process tree until stopped.

    `peak_mb` is the highest sum of VmRSS seen over the tree; `hwm_mb` the highest VmHWM (the kernel's own
    high-water mark, which also catches peaks between samples) of any single process in it. A process's
    VmHWM starts afresh at exec, so the figures never include the memory of the process that started it."""

    pid: int
    interval: float = 0.05
    peak_mb: float = 0.0
    hwm_mb: float = 0.0
    samples: int = 0
    _pids: list[int] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def sample(self) -> None:
        if self.samples % 10 == 0:  # a scan of /proc costs more than a sample: look for new children now and then
            self._pids = process_tree(self.pid)
        rss = sum(_status_kb(p, "VmRSS") for p in self._pids) / 1024
        hwm = max((_status_kb(p, "VmHWM") for p in self._pids), default=0) / 1024
        self.peak_mb = max(self.peak_mb, rss)
        self.hwm_mb = max(self.hwm_mb, hwm)
        self.samples += 1

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def start(self) -> MemorySampler:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()

    @property
    def max_mb(self) -> float:
        return max(self.peak_mb, self.hwm_mb)


class OtherCpu:
    """Share of the machine's CPU that processes other than this one and its finished children used between
    start() and share(): on a shared machine, the figure that says how far timings are inflated."""

    def start(self) -> OtherCpu:
        self._busy, self._own, self._wall = self._system_busy(), self._own_cpu(), time.perf_counter()
        return self

    @staticmethod
    def _system_busy() -> float:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _own_cpu() -> float:
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    def share(self) -> float:
        others = (self._system_busy() - self._busy) - (self._own_cpu() - self._own)
        capacity = (time.perf_counter() - self._wall) * (os.cpu_count() or 1)
        return max(0.0, min(1.0, others / capacity)) if capacity > 0 else 0.0


@dataclass(frozen=True)
class Timed:
    seconds: float
    returncode: int
    stdout: str
    stderr: str
    peak_rss_mb: float


def run_timed(cmd: list[str], timeout: float = 600, sample_memory: bool = False, **kwargs) -> Timed:
    """Wall time of a whole process from start to exit, optionally with its peak resident memory."""
    kwargs.setdefault("env", child_env())
    kwargs.setdefault("cwd", ROOT)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)
    sampler = MemorySampler(proc.pid, interval=0.02).start() if sample_memory else None
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise RuntimeError(f"{' '.join(cmd[:3])} ... did not finish in {timeout} s") from None
    finally:
        if sampler:
            sampler.stop()
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {err.strip()[-800:]}")
    return Timed(seconds, proc.returncode, out, err, sampler.max_mb if sampler else math.nan)


@contextlib.contextmanager
def stopwatch() -> Iterator[list[float]]:
    """`with stopwatch() as t: ...` then t[0] holds the seconds taken."""
    box: list[float] = []
    started = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - started)
