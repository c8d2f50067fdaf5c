"""Shared helpers for the benchmarks in bench/.

Benchmark inputs are public git histories kept outside this repository
(never committed): by default in /tmp/bench-repos/<name>, cloned from the
read-only snapshots in /work/.mirror/<owner>+<name>/repo when those exist.
Set FOUNDERMODE_BENCH_REPOS to use another folder.

Every timing is wall-clock of a subprocess, measured here with os.wait4 so the
same call also gives the peak resident memory (ru_maxrss) of the process.
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
REPOS_DIR = Path(os.environ.get("FOUNDERMODE_BENCH_REPOS", "/tmp/bench-repos"))
MIRROR_DIR = Path(os.environ.get("FOUNDERMODE_BENCH_MIRROR", "/work/.mirror"))

# name -> GitHub owner/name; the mirror folder is owner+name.
KNOWN = {"flask": "pallets/flask", "rails": "rails/rails", "git": "git/git"}

# The header fields foundermode asks git log for (see foundermode.sources.git.LOG_FORMAT).
GIT_LOG_FORMAT = (
    "--format=%x1e%x1e%H%x1f%P%x1f%aN%x1f%aE%x1f%at%x1f%ai%x1f%cN%x1f%cE%x1f%ct"
    "%x1f%(trailers:key=Co-authored-by,valueonly,separator=%x1d)%x1f%s"
)


class Skip(Exception):
    """A benchmark input is missing: the script says so and exits 0."""


def foundermode_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "foundermode"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("foundermode")
    if not found:
        raise Skip("the foundermode command is not installed (pip install -e .)")
    return [found]


def git(repo: Path, *args: str, env: dict | None = None, check: bool = True) -> str:
    result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, env=env)
    if check and result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} in {repo}: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout.decode("utf-8", errors="replace")


def repo(name: str, worktree: bool = True) -> Path:
    """The benchmark clone of a public repository, made from the mirror when absent.

    Clones share the mirror's objects (``--shared``) and check out HEAD, so
    nothing is copied and blame has a work tree; the mirror is never written.
    Raises Skip when neither the clone nor a mirror exists.
    """
    path = REPOS_DIR / name
    if (path / ".git").exists() or (path / "HEAD").exists():
        return path
    owner_name = KNOWN.get(name, name)
    mirror = MIRROR_DIR / owner_name.replace("/", "+") / "repo"
    if not (mirror / "HEAD").exists():
        raise Skip(f"{owner_name}: no clone at {path} and no snapshot at {mirror}; skipped")
    REPOS_DIR.mkdir(parents=True, exist_ok=True)
    print(f"cloning {mirror} -> {path} (shared objects)", file=sys.stderr)
    subprocess.run(["git", "clone", "-q", "--shared", "--no-checkout", str(mirror), str(path)], check=True)
    if worktree:
        subprocess.run(["git", "-C", str(path), "checkout", "-q", "HEAD", "--", "."], check=False)
    return path


def missing_blobs(path: Path) -> list[str]:
    """Blobs the snapshot lacks (``git fsck --connectivity-only``)."""
    out = subprocess.run(["git", "-C", str(path), "fsck", "--connectivity-only", "--no-dangling"], capture_output=True)
    lines = out.stdout.decode(errors="replace").splitlines() + out.stderr.decode(errors="replace").splitlines()
    missing = set()
    for i, line in enumerate(lines):
        parts = line.split()
        if line.startswith("missing blob"):
            missing.add(parts[2])
        elif line.strip().startswith("to") and len(parts) >= 3 and parts[1] == "blob" and i and lines[i - 1].startswith("broken link"):
            missing.add(parts[2])
    return sorted(missing)


def fill_missing_blobs(path: Path) -> list[str]:
    """Stand-ins for blobs a snapshot lacks, so that a plain serial ``git log --numstat`` can finish.

    A serial git log stops at the first missing object, so the reference run
    needs every object. Each missing blob gets ``refs/replace/<blob>`` pointing
    at an empty blob, in the benchmark clone only. The same clone read with
    GIT_NO_REPLACE_OBJECTS=1 shows the snapshot as it is (foundermode must read
    around the gaps). Returns the blobs that were missing (cached in the clone).
    """
    marker = Path(git(path, "rev-parse", "--absolute-git-dir").strip()) / "foundermode-bench-missing"
    if marker.exists():
        return marker.read_text().split()
    missing = missing_blobs(path)
    if missing:
        empty = _empty_blob(path)
        for blob in missing:
            git(path, "update-ref", f"refs/replace/{blob}", empty)
    marker.write_text("\n".join(missing) + "\n")
    return missing


def _empty_blob(path: Path) -> str:
    result = subprocess.run(["git", "-C", str(path), "hash-object", "-w", "--stdin"], input=b"", capture_output=True, check=True)
    return result.stdout.decode().strip()


def no_replace_env() -> dict:
    return {**os.environ, "GIT_NO_REPLACE_OBJECTS": "1"}


@dataclass
class Run:
    seconds: float
    maxrss_mb: float
    returncode: int
    stdout: bytes
    stderr: bytes
    cpu_s: float = 0.0  # user + system seconds of the process and the children it waited for


def timed(cmd: list[str], cwd: Path | str | None = None, env: dict | None = None, stdout_to_null: bool = False) -> Run:
    """Run ``cmd``; wall seconds and the peak RSS (MB) of the process (largest of it and its waited-for children)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL if stdout_to_null else out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(seconds, usage.ru_maxrss / 1024, proc.returncode, out.read(), err.read(), usage.ru_utime + usage.ru_stime)


def machine_cpu_seconds() -> float:
    """CPU time every process on the machine has used (busy jiffies in /proc/stat): what a run
    keeps busy counts git, the database server and a cluster's processes alike."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK")


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def machine() -> dict:
    """What the figures were measured on, and how busy it was."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    mem_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cores": cores,
        "memory_gib": mem_gib,
        "cpu": cpu,
        "loadavg": os.getloadavg(),
        "python": platform.python_version(),
        "git": subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip(),
        "when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "foundermode_commit": source_commit(),
    }


def source_commit() -> str | None:
    """The commit of foundermode's sources measured ('+dirty' when src/ has uncommitted changes)."""
    root = BENCH_DIR.parent
    head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    if not head:
        return None
    dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "src"], capture_output=True, text=True).stdout.strip()
    return head + ("+dirty" if dirty else "")


def package_version(name: str) -> str | None:
    try:
        from importlib.metadata import version

        return version(name)
    except Exception:
        return None


def fresh_db(tmp: Path, name: str) -> str:
    for suffix in ("", "-wal", "-shm"):
        (tmp / f"{name}.db{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{tmp / name}.db"


def ingest(repo_path: Path, db_url: str, cwd: Path, jobs: int | None = 2, extra: list[str] | None = None, env: dict | None = None) -> Run:
    """``foundermode --db URL ingest git REPO --jobs N --json`` in ``cwd`` (no foundermode.toml there)."""
    cmd = foundermode_cmd() + ["--db", db_url, "ingest", "git", str(repo_path), "--json"]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    cmd += extra or []
    run = timed(cmd, cwd=cwd, env={**(env or os.environ), "NO_COLOR": "1", "COLUMNS": "200"})
    if run.returncode != 0:
        raise RuntimeError(f"foundermode ingest failed ({run.returncode}): {run.stderr.decode(errors='replace')[-2000:]}")
    return run


def ingest_json(run: Run) -> list[dict]:
    text = run.stdout.decode(errors="replace")
    start = text.find("[")
    return json.loads(text[start:]) if start >= 0 else []


def warnings_of(run: Run) -> list[str]:
    rows = ingest_json(run)
    return [w for row in rows for w in row.get("warnings", [])]


def write_results(name: str, data: dict) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return path


def table(rows: list[dict], columns: list[str], title: str | None = None) -> str:
    def fmt(value):
        if isinstance(value, float):
            return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
        return "" if value is None else str(value)

    cells = [[fmt(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) if cells else len(c) for i, c in enumerate(columns)]
    lines = []
    if title:
        lines.append(title)
    lines.append("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    lines.append("  ".join("-" * w for w in widths))
    for r in cells:
        lines.append("  ".join(v.ljust(w) for v, w in zip(r, widths)))
    return "\n".join(lines)


def main_guard(fn):
    """Run a benchmark's main; a Skip prints its reason and exits 0."""
    try:
        fn()
    except Skip as skip:
        print(f"skipped: {skip}")
        sys.exit(0)
