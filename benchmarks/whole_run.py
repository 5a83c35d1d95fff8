"""The whole process against the library: `wiretrace run` on 543 pages against a loop of trafilatura.

The pages: the 181 AEB pages (../shared/corpus/aeb/html), three byte-different copies of each (a
comment naming the copy appended), so that each is an input of its own: 543 seed files. wiretrace reads,
decodes, extracts, tags, loads (207 articles; 336 inputs recorded as duplicates of them), archives, finds
reuse and stories and summarises, into a fresh warehouse. The baseline is a single-core loop of
`trafilatura.extract(html, with_metadata=True)` over the same 543 pages.

Both are whole processes, timed from their start to their end, imports included: the wiretrace one is
`wiretrace run --seeds DIR --db FRESH` as a user types it (Prefect's temporary API, the worker pool,
everything); the baseline is `python -c "import trafilatura; ..."` reading the same files. Rounds
alternate the two, so both see the same load on a shared machine; the median of the rounds' ratios
is the figure, printed with the load average. (The CPU seconds are not compared: the workers are
children of the fork server, which the run's process does not wait for, so its rusage misses them.)
Prefect's own database is made once before the first round (as on any machine after its first run),
not in the clock.

With the default `--copies 3,1` each round also times the 181 pages once each (no copies, no
duplicates): the figure of the per-page speed, beside the one where copies are extracted once.

Target: wiretrace >= 1.3 x the loop (two cores make 2.0 x the limit).

With --each-too, each round also runs wiretrace on the copies with WIRETRACE_EXTRACT_COPIES_ONCE=0
(every input extracted on its own, as before copies were found): what extracting copies once saves,
measured under the same load.

With --against CHECKOUT (another checkout of wiretrace with its own .venv, e.g. main's), each round
also runs that checkout's `wiretrace run` on the same pages: this code against that one under the same
load, which a shared machine's seconds cannot say.

With --cpu (Linux), each wiretrace run also reports the CPU seconds of its processes: the run's own,
Prefect's temporary API, and the fork server with its workers. CPU seconds change little with the load
of a shared machine, where the wall times above change a lot.

    .venv/bin/python benchmarks/whole_run.py [--rounds 3] [--copies 3,1] [--each-too] [--against DIR] [--cpu]
"""

from __future__ import annotations

import argparse
import gzip
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
AEB = REPO.parent / "shared" / "corpus" / "aeb" / "html"
PY = sys.executable
TARGET = 1.3

LOOP = """
import sys
from pathlib import Path
import trafilatura
for path in sorted(Path(sys.argv[1]).glob("*.html")):
    trafilatura.extract(path.read_text(encoding="utf-8", errors="replace"), with_metadata=True)
"""


def make_seeds(folder: Path, copies: int) -> int:
    """`copies` byte-different copies of every AEB page, as plain .html files; how many."""
    paths = sorted(AEB.glob("*.html.gz"))
    if not paths:
        raise SystemExit(f"no AEB pages under {AEB}: clone wiretrace next to the shared corpus")
    folder.mkdir(parents=True)
    for path in paths:
        html = gzip.decompress(path.read_bytes())
        stem = path.name.removesuffix(".html.gz")
        for copy in range(copies):
            (folder / f"{stem}-{copy}.html").write_bytes(html + f"\n<!-- copy {copy} -->\n".encode())
    return len(paths) * copies


def timed(args: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:4])} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return wall


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
KINDS = ("run's process", "temporary API", "fork server and workers")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds so far) of a live process, from /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def _kind(pid: int, root: int) -> str:
    if pid == root:
        return KINDS[0]
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            command = handle.read()
    except OSError:
        command = b""
    return KINDS[1] if b"create_app" in command else KINDS[2]


def cpu_timed(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, dict[str, float]]:
    """Wall seconds, and the CPU seconds of each kind of process of the run (Linux /proc, sampled every
    50 ms while it runs: the fork server and its workers are not children the run waits for, so its
    own rusage misses them). A process's last 50 ms before it ends may be missed."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    cpu: dict[int, tuple[str, float]] = {}
    while True:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit() and (st := _stat(int(entry))) is not None:
                children.setdefault(st[0], []).append(int(entry))
        todo = [proc.pid]
        while todo:
            pid = todo.pop()
            if (st := _stat(pid)) is not None:
                kind = cpu[pid][0] if pid in cpu else _kind(pid, proc.pid)
                cpu[pid] = (kind, st[1])
            todo += children.get(pid, [])
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    wall = time.perf_counter() - started
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args[:4])} failed ({proc.returncode}):\n{stderr[-3000:]}")
    totals = dict.fromkeys(KINDS, 0.0)
    for kind, seconds in cpu.values():
        totals[kind] += seconds
    return wall, totals


def run_wiretrace(command: list[str], env: dict[str, str], cwd: Path, cpus: list | None) -> float:
    """Wall seconds of one `wiretrace run`; with `cpus`, its CPU seconds per process kind too (appended)."""
    if cpus is None:
        return timed(command, env, cwd)
    wall, cpu = cpu_timed(command, env, cwd)
    cpus.append(cpu)
    print(f"  {command[0]}: {wall:.1f} s; CPU seconds {cpu_medians([cpu])}", flush=True)
    return wall


def cpu_medians(rounds: list[dict[str, float]]) -> str:
    """Each process kind's median CPU seconds over the rounds, and the median of their sums."""
    medians = {k: statistics.median(r[k] for r in rounds) for k in KINDS}
    every = statistics.median(sum(r.values()) for r in rounds)
    return ", ".join(f"{k} {v:.1f}" for k, v in medians.items()) + f"; all {every:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--copies", default="3,1", help="copies of each page, one figure per value (default 3,1)"
    )
    parser.add_argument(
        "--each-too",
        action="store_true",
        help="also time wiretrace with every copy extracted on its own (WIRETRACE_EXTRACT_COPIES_ONCE=0)",
    )
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="also print the CPU seconds of wiretrace's processes (run, temporary API, workers) per round",
    )
    parser.add_argument(
        "--against",
        type=Path,
        help="another checkout (with its .venv) whose `wiretrace run` is timed too, in the same rounds",
    )
    args = parser.parse_args()
    copies = [int(c) for c in args.copies.split(",")]
    wiretrace = str(Path(PY).with_name("wiretrace"))
    other = str(args.against.resolve() / ".venv" / "bin" / "wiretrace") if args.against else None
    if other and not Path(other).is_file():
        raise SystemExit(f"no {other}: run `make setup` in {args.against}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        folders = {c: tmp_path / f"seeds-{c}" for c in copies}
        pages = {c: make_seeds(folder, c) for c, folder in folders.items()}
        env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home")}
        env.pop("PREFECT_API_URL", None)
        env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        empty = tmp_path / "empty"
        empty.mkdir()
        # Prefect's database made and migrated, the language model cached: once, outside the clock
        warm = ["run", "--seeds", str(empty), "--db", str(tmp_path / "warm.duckdb")]
        timed([wiretrace, *warm], env, tmp_path)
        if other:
            timed([other, *warm[:-1], str(tmp_path / "warm-other.duckdb")], env, tmp_path)
        loops: dict[int, list[float]] = {c: [] for c in copies}
        runs: dict[int, list[float]] = {c: [] for c in copies}
        ratios: dict[int, list[float]] = {c: [] for c in copies}
        loads: list[float] = []
        each: dict[int, list[float]] = {c: [] for c in copies if c > 1 and args.each_too}
        against: dict[int, list[float]] = {c: [] for c in copies if other}
        cpus: dict[int, list[dict[str, float]]] = {c: [] for c in copies}
        loop_cpu: dict[int, list[float]] = {c: [] for c in copies}
        other_cpus: dict[int, list[dict[str, float]]] = {c: [] for c in copies}
        for number in range(args.rounds):
            for c in copies:  # each round: the loop, then wiretrace, for every number of copies in turn
                seeds = str(folders[c])
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                loops[c].append(timed([PY, "-c", LOOP, seeds], env, tmp_path))
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                loop_cpu[c].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
                db = str(tmp_path / f"round-{number}-{c}" / "wiretrace.duckdb")
                command = [wiretrace, "run", "--seeds", seeds, "--db", db]
                runs[c].append(run_wiretrace(command, env, tmp_path, cpus[c] if args.cpu else None))
                ratios[c].append(loops[c][-1] / runs[c][-1])
                if c in each:  # the same run with every copy extracted on its own: what extracting once saves
                    db = str(tmp_path / f"round-{number}-{c}-each" / "wiretrace.duckdb")
                    alone = {**env, "WIRETRACE_EXTRACT_COPIES_ONCE": "0"}
                    each[c].append(timed([wiretrace, "run", "--seeds", seeds, "--db", db], alone, tmp_path))
                    print(f"  every copy extracted on its own: {each[c][-1]:.1f} s", flush=True)
                if other:  # the other checkout on the same pages, right after: the same load
                    db = str(tmp_path / f"round-{number}-{c}-other" / "wiretrace.duckdb")
                    command = [other, "run", "--seeds", seeds, "--db", db]
                    noted = other_cpus[c] if args.cpu else None
                    against[c].append(run_wiretrace(command, env, tmp_path, noted))
                    print(f"  {args.against}: {against[c][-1]:.1f} s", flush=True)
                loads.append(os.getloadavg()[0])
                print(
                    f"round {number + 1}, {pages[c]} pages ({c} cop{'ies' if c > 1 else 'y'} each): "
                    f"trafilatura loop {loops[c][-1]:.1f} s, wiretrace run {runs[c][-1]:.1f} s: "
                    f"{ratios[c][-1]:.2f}x (load average {loads[-1]:.1f})",
                    flush=True,
                )
    met = True
    for c in copies:
        loop, run, ratio = (statistics.median(x[c]) for x in (loops, runs, ratios))
        met = met and ratio >= TARGET
        print(
            f"{pages[c]} pages ({c} byte-different cop{'ies' if c > 1 else 'y'} of each AEB page): "
            f"trafilatura.extract loop, 1 core, whole process {loop:.1f} s ({pages[c] / loop:.1f} pages/s); "
            f"wiretrace run, whole process {run:.1f} s ({pages[c] / run:.1f} pages/s); wiretrace / loop: "
            f"{ratio:.2f}x (median of {args.rounds} rounds: {', '.join(f'{r:.2f}' for r in ratios[c])}); "
            f"target >= {TARGET}"
        )
    for c, rounds in cpus.items():
        if rounds:
            here = cpu_medians(rounds)
            loop_line = f"the trafilatura loop {statistics.median(loop_cpu[c]):.1f}"
            print(f"{pages[c]} pages, CPU seconds of wiretrace run, medians: {here}; {loop_line}")
        if other_cpus[c]:
            there = cpu_medians(other_cpus[c])
            print(f"{pages[c]} pages, CPU seconds of {args.against}'s wiretrace run, medians: {there}")
    for c, seconds in each.items():
        alone = statistics.median(seconds)
        print(
            f"{pages[c]} pages, every copy extracted on its own (WIRETRACE_EXTRACT_COPIES_ONCE=0): "
            f"{alone:.1f} s; wiretrace / loop {statistics.median(loops[c]) / alone:.2f}x; copies extracted "
            f"once: {alone / statistics.median(runs[c]):.2f}x faster (medians)"
        )
    for c, seconds in against.items():
        pairs = [o / r for o, r in zip(seconds, runs[c], strict=True)]
        print(
            f"{pages[c]} pages: {args.against} `wiretrace run` {statistics.median(seconds):.1f} s (median); "
            f"this checkout is {statistics.median(pairs):.2f}x as fast (median of the rounds' ratios: "
            f"{', '.join(f'{r:.2f}' for r in pairs)}); wiretrace / loop there "
            f"{statistics.median(loops[c]) / statistics.median(seconds):.2f}x"
        )
    print(f"{os.cpu_count()} cores, load average {min(loads):.1f}-{max(loads):.1f} over the rounds")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
