"""Every case of issue #12 (and more), tried as a user and as an attacker would, all on this machine.

Each case is a seeds folder and/or a feeds.yaml in a temporary folder, run with `wiretrace run` in a
fresh process exactly as a user types it; the warehouse is then inspected. Feeds are served by local
servers on 127.0.0.1 (broken feeds, 500s, timeouts, a page that drips, a gzip bomb sent as
Content-Encoding, redirects to another local port, credentials in links). Then 10,000 fuzzed inputs
(mutated real pages and seeds) go through the transform chain in worker processes, each timed.

It prints inputs tried, runs completed, crashes (a run that did not complete, or a traceback),
hangs (a run over its wall-clock limit, an input over 5 s), rows lost (a good input not loaded,
an input neither loaded nor recorded) and the peak memory of any run.

    .venv/bin/python benchmarks/adversarial.py [--fuzz 10000] [--skip-feeds]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


from tests.test_fuzz import mutate, real_inputs  # noqa: E402
from wiretrace import open_warehouse  # noqa: E402

WIRETRACE = str(Path(sys.executable).with_name("wiretrace"))
SEEDS = REPO / "seeds"
GOOD = SEEDS / "002_cd3e9b45309f4b3f.txt"
RUN_LIMIT = 300.0  # seconds of wall clock a run may take before it counts as a hang
INPUT_LIMIT = 5.0  # seconds one fuzzed input may take


# -- local servers ---------------------------------------------------------------------------------


class Hostile(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    secret_port = 0
    auth_headers = 0

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, kind: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        with contextlib.suppress(OSError):  # the client gave up (a timeout, a size cap): as intended
            self.wfile.write(body)

    def _feed(self, links: list[str]) -> bytes:
        items = "".join(f"<item><title>WeChat {i}</title><link>{link}</link><guid>{link}</guid></item>"
                        for i, link in enumerate(links))  # fmt: skip
        channel = f"<channel><title>t</title>{items}</channel>"
        return f"<?xml version='1.0'?><rss version='2.0'>{channel}</rss>".encode()

    def do_GET(self) -> None:
        if self.headers.get("Authorization"):
            Hostile.auth_headers += 1
        host = f"http://{self.headers['Host']}"
        path = self.path
        rss = "application/rss+xml"
        if path == "/broken.xml":
            self._send(200, b"<?xml version='1.0'?><rss><channel><item><title>cut", rss)
        elif path == "/500.xml":
            self._send(500, b"oops", "text/plain")
        elif path == "/slow.xml":
            time.sleep(120)
            self._send(200, self._feed([]), rss)
        elif path == "/drip.xml":
            self.send_response(200)
            self.send_header("Content-Type", rss)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            for _ in range(600):  # one byte a second, until the client gives up
                try:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                except OSError:
                    break
                time.sleep(1)
        elif path == "/bomb.xml":
            bomb = gzip.compress(b"\0" * 300_000_000, compresslevel=9)
            self._send(200, bomb, rss, {"Content-Encoding": "gzip"})
        elif path == "/redirect.xml":
            self._send(302, b"", "text/plain", {"Location": f"http://127.0.0.1:{Hostile.secret_port}/secret"})
        elif path == "/links.xml":
            port = self.server.server_address[1]
            self._send(200, self._feed([
                f"http://user:password@127.0.0.1:{port}/page/creds",
                f"http://127.0.0.1:{Hostile.secret_port}/secret",
                f"{host}/page/bomb", f"{host}/page/500", f"{host}/page/ok",
                "file:///etc/passwd", "javascript:alert(1)", "http://[::1",
            ]), rss)  # fmt: skip
        elif path == "/page/bomb":
            bomb = gzip.compress(b"<p>" + b"a" * 200_000_000, compresslevel=9)
            self._send(200, bomb, "text/html", {"Content-Encoding": "gzip"})
        elif path == "/page/500":
            self._send(500, b"", "text/html")
        else:  # /page/ok, /page/creds
            words = " ".join(f"word{i}" for i in range(200))
            body = f"<html><head><title>WeChat {path}</title></head><body><article><h1>WeChat</h1>"
            body += (
                "".join(f"<p>WeChat paragraph {i} {words}.</p>" for i in range(4))
                + "</article></body></html>"
            )
            self._send(200, body.encode(), "text/html; charset=utf-8")


class Secret(BaseHTTPRequestHandler):
    hits = 0

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        Secret.hits += 1
        body = (
            b"<html><body><article><p>SECRET internal page "
            + b"word " * 300
            + b"</p></article></body></html>"
        )
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# -- running wiretrace as a user does --------------------------------------------------------------


@dataclass
class Tally:
    inputs: int = 0
    runs: int = 0
    completed: int = 0
    crashes: list[str] = field(default_factory=list)
    hangs: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    checks_failed: list[str] = field(default_factory=list)


@dataclass
class Run:
    code: int | None
    stderr: str
    stdout: str
    seconds: float


def wiretrace(args: list[str], env: dict[str, str] | None = None, limit: float = RUN_LIMIT) -> Run:
    started = time.monotonic()
    proc = subprocess.Popen(
        [WIRETRACE, *args], cwd=REPO, env={**os.environ, **(env or {})}, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    try:
        out, err = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return Run(None, err, out, time.monotonic() - started)
    return Run(proc.returncode, err, out, time.monotonic() - started)


def rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    """The rows of an analyst's read-only query (README's tables and views) on the warehouse at `db`."""
    with open_warehouse(db) as con:
        return con.execute(sql, params).fetchall()


Check = Callable[[Path, Run], list[str]]


def case(
    tally: Tally,
    name: str,
    folder: Path,
    inputs: int,
    check: Check,
    *,
    feeds: Path | None = None,
    env: dict[str, str] | None = None,
    expect_ok: bool = True,
    db: Path | None = None,
) -> Run:
    """One `wiretrace run`; counts it and checks what it left in the warehouse."""
    db = db or folder.parent / "w.duckdb"
    args = ["run", "--seeds", str(folder), "--db", str(db)]
    args += ["--feeds", str(feeds)] if feeds else []
    empty_feeds = folder.parent / "no-feeds.yaml"
    if not feeds:
        empty_feeds.write_text("feeds: []\n")
        args += ["--feeds", str(empty_feeds)]
    run = wiretrace(args, env)
    tally.inputs += inputs
    tally.runs += 1
    if run.code is None:
        tally.hangs.append(f"{name}: no end after {RUN_LIMIT:.0f} s")
        return run
    if "Traceback" in run.stderr:
        tally.crashes.append(f"{name}: traceback: {run.stderr.strip().splitlines()[-1][:200]}")
    if expect_ok and run.code != 0:
        tally.crashes.append(f"{name}: exit {run.code}: {run.stderr.strip()[-300:]}")
        return run
    tally.completed += run.code == 0
    for problem in check(db, run):
        (tally.lost if problem.startswith("lost") else tally.checks_failed).append(f"{name}: {problem}")
    return run


def accounted(db: Path, refs: set[str], must_load: set[str] = frozenset()) -> list[str]:
    """Every input either loaded or recorded; the good ones loaded."""
    loaded = {r[0] for r in rows(db, "SELECT source_ref FROM articles")}
    recorded = {r[0] for r in rows(db, "SELECT source_ref FROM ingest_failures")}
    problems = [f"lost: {ref} neither loaded nor recorded" for ref in sorted(refs - loaded - recorded)]
    problems += [f"lost: good input {ref} not loaded" for ref in sorted(must_load - loaded)]
    return problems


def failure_of(db: Path, ref: str) -> str | None:
    found = rows(db, "SELECT stage || ': ' || reason FROM ingest_failures WHERE source_ref = ?", [ref])
    return found[0][0] if found else None


# -- the cases ---------------------------------------------------------------------------------------


def canonical_page() -> bytes:
    for path in sorted((REPO.parent / "shared" / "corpus" / "aeb" / "html").glob("*.html.gz")):
        html = gzip.decompress(path.read_bytes())
        if b'rel="canonical"' in html:
            return html
    raise SystemExit("no corpus page with a canonical link: is ../shared there?")


def seed_cases(tally: Tally, tmp: Path) -> None:
    good = GOOD.read_bytes()
    text = good.decode("utf-8")

    # 1. duplicates: the same page as .html and .html.gz, and a copy keeping its rel=canonical
    folder = tmp / "dup" / "seeds"
    folder.mkdir(parents=True)
    html = canonical_page()
    (folder / "x.html").write_bytes(html)
    (folder / "x.html.gz").write_bytes(gzip.compress(html))
    (folder / "copy.html").write_bytes(html.replace(b"</body>", b"<p>copy</p></body>", 1))
    (folder / "good.txt").write_bytes(good)

    def dup_check(db: Path, run: Run) -> list[str]:
        problems = accounted(db, {"x.html", "x.html.gz", "copy.html", "good.txt"}, {"copy.html", "good.txt"})
        stages = {failure_of(db, r) or "" for r in ("x.html", "x.html.gz")}
        return problems + [f"duplicate not recorded: {s}" for s in stages if not s.startswith("duplicate")]

    case(tally, "duplicate canonical URLs", folder, 4, dup_check)
    case(tally, "duplicate canonical URLs, second run", folder, 4, dup_check)

    # 2. the seeds folder never leads out of itself
    folder = tmp / "escape" / "seeds"
    folder.mkdir(parents=True)
    (folder / "good.txt").write_bytes(good)
    (tmp / "escape" / "secret.txt").write_text(
        "Secret\n\nswordfish is the password of the server, kept here."
    )
    links = {"passwd.txt": "/etc/passwd", "proc.txt": "/proc/self/status", "secret.txt": "../secret.txt",
             "dangling.txt": "../nowhere", "loop.txt": "loop.txt", "up": ".."}  # fmt: skip
    for name, target in links.items():
        (folder / name).symlink_to(target)
    os.mkfifo(folder / "fifo.txt")

    def escape_check(db: Path, run: Run) -> list[str]:
        texts = " ".join(r[0] for r in rows(db, "SELECT text FROM articles"))
        problems = accounted(db, {*links, "fifo.txt", "good.txt"}, {"good.txt"})
        if "swordfish" in texts or "root:" in texts or "VmRSS" in texts:
            problems.append("read a file outside the seeds folder")
        return problems

    case(tally, "symlinks out, /proc, FIFO, dangling, loop", folder, 8, escape_check)

    # 3. manifest problems become failure rows; an edited manifest re-applies
    folder = tmp / "manifest" / "seeds"
    folder.mkdir(parents=True)
    (folder / "a.txt").write_bytes(good)
    (folder / "b.txt").write_bytes(good.replace(b"Russia", b"Russland"))
    manifest = folder / "manifest.csv"
    manifest.write_text(
        f"file,url,outlet\na.txt,https://www.example.com/a,\nb.txt,http://[::1,\nc.txt,,{'x' * 140_000}\n"
        "../../etc/passwd,,\n/etc/passwd,,\nmissing.txt,,\n"
    )

    def manifest_check(db: Path, run: Run) -> list[str]:
        problems = accounted(db, {"a.txt", "b.txt"}, {"a.txt", "b.txt"})
        manifest_rows = rows(db, "SELECT count(*) FROM open_failures WHERE stage = 'manifest'")[0][0]
        return problems + ([] if manifest_rows == 5 else [f"{manifest_rows} manifest failure rows, not 5"])

    case(tally, "manifest: huge field, bad URL, ../, absolute, missing", folder, 2, manifest_check)
    manifest.write_text("file,url,outlet\na.txt,https://www.example.com/a,Edited Outlet\nb.txt,,\n")

    def edited_check(db: Path, run: Run) -> list[str]:
        outlet = rows(db, "SELECT outlet FROM articles WHERE source_ref = 'a.txt'")
        still = rows(db, "SELECT count(*) FROM open_failures")[0][0]
        return ([] if outlet == [("Edited Outlet",)] else [f"edited manifest not applied: {outlet}"]) + (
            [] if still == 0 else [f"{still} manifest failures still open after the fix"]
        )

    case(tally, "manifest edited, run without --force", folder, 2, edited_check)

    # 4. decoding: every damaged file is read whole or fails with a reason
    folder = tmp / "decode" / "seeds"
    folder.mkdir(parents=True)
    packed = gzip.compress(good)
    damaged = bytearray(good)
    for at in range(200, 800, 100):
        damaged[at] = 0xFF
    files = {
        "truncated.txt.gz": packed[: len(packed) // 2], "header-only.txt.gz": packed[:10],
        "members.txt.gz": gzip.compress(good[:500]) + gzip.compress(good[500:]),
        "six-bad-bytes.txt": bytes(damaged), "utf16.txt": text.encode("utf-16-le"),
        "utf32.txt": text.encode("utf-32-be"), "nul.txt": good[:300] + b"\0" + good[300:],
        "png.txt": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "empty.txt": b"",
        "huge.txt": b"word " * 2_100_000, "noise.bin": random.Random(1).randbytes(50_000),
    }  # fmt: skip
    for name, data in files.items():
        (folder / name).write_bytes(data)
    must = {"members.txt.gz", "six-bad-bytes.txt", "utf16.txt", "utf32.txt", "nul.txt"}

    def decode_check(db: Path, run: Run) -> list[str]:
        problems = accounted(db, set(files), must)
        for name in ("truncated.txt.gz", "header-only.txt.gz"):
            if "truncated gzip" not in (failure_of(db, name) or ""):
                problems.append(f"{name}: {failure_of(db, name)}")
        texts = dict(rows(db, "SELECT source_ref, text FROM articles"))
        if "Ã" in texts.get("six-bad-bytes.txt", ""):
            problems.append("six invalid bytes gave mojibake")
        return problems

    case(tally, "decoding: truncated, multi-member, UTF-16/32, NUL, binary", folder, len(files), decode_check)

    # 5. text that makes regexes backtrack: long tokens before credit words, many comments
    folder = tmp / "regex" / "seeds"
    folder.mkdir(parents=True)
    hostile = {
        "long-token.txt": f"Title\n\n{text}\n\n" + "x" * 40_000 + " " * 5 + "AFP PHOTO / JOHN DOE\n" + text,
        "spaces.txt": f"Title\n\n{text}\n" + " " * 200_000 + "(AFP)\n",
        "comments.html": "<!---->" * 5000 + f"<html><body><article><p>{text}</p></article></body></html>",
        "links.html": "<html><head>" + "<link " * 40_000 + f"</head><body><p>{text}</p></body></html>",
        "dashes.txt": f"Title\n\n{text}\n" + "-- " * 50_000 + "Reuters\n",
    }
    for name, body in hostile.items():
        (folder / name).write_text(body)
    case(tally, "regex-hostile text", folder, len(hostile), lambda db, run: accounted(db, set(hostile)))

    # 6. a --db that cannot be written (its folder is a file): one clear line, no traceback, exit non-zero
    blocked = tmp / "a-file"
    blocked.write_text("not a folder")
    run = wiretrace(["run", "--seeds", str(SEEDS), "--db", str(blocked / "w.duckdb")])
    tally.inputs += 1
    tally.runs += 1
    lines = [line for line in run.stderr.strip().splitlines() if line.strip()]
    if run.code in (0, None) or "Traceback" in run.stderr or len(lines) != 1:
        tally.checks_failed.append(f"unwritable --db: exit {run.code}, stderr {run.stderr[-300:]!r}")


def feed_cases(tally: Tally, tmp: Path) -> None:
    hostile = serve(Hostile)
    secret = serve(Secret)
    Hostile.secret_port = secret.server_address[1]
    base = f"http://127.0.0.1:{hostile.server_address[1]}"
    feeds = ["broken.xml", "500.xml", "slow.xml", "drip.xml", "bomb.xml", "redirect.xml", "links.xml"]
    config = tmp / "feeds" / "feeds.yaml"
    config.parent.mkdir()
    config.write_text(
        "feeds:\n"
        + "".join(f"  - url: {base}/{name}\n" for name in feeds)
        + "fetch:\n  timeout: 10\n  attempts: 1\n"
    )
    seeds = tmp / "feeds" / "seeds"
    seeds.mkdir()
    (seeds / "good.txt").write_bytes(GOOD.read_bytes())

    def feed_check(db: Path, run: Run, private_allowed: bool) -> list[str]:
        problems = accounted(db, {"good.txt"}, {"good.txt"})
        texts = " ".join(r[0] for r in rows(db, "SELECT text FROM articles"))
        if not private_allowed and "SECRET internal page" in texts:
            problems.append("a page from a refused address was stored")
        links = " ".join(r[0] or "" for r in rows(db, "SELECT link FROM feed_entries"))
        if "password@" in links:
            problems.append("credentials kept in feed_entries.link")
        if Hostile.auth_headers:
            problems.append(f"{Hostile.auth_headers} requests sent credentials as Basic auth")
        return problems

    # With the private-network switch (the server is local) and without it (everything local refused).
    case(tally, "hostile feeds, private networks allowed", seeds, len(feeds),
         lambda db, run: feed_check(db, run, True), feeds=config,
         env={"WIRETRACE_ALLOW_PRIVATE_NETWORKS": "1"})  # fmt: skip
    before = Secret.hits
    case(tally, "hostile feeds, private networks refused", seeds, len(feeds),
         lambda db, run: feed_check(db, run, False), feeds=config,
         env={"WIRETRACE_ALLOW_PRIVATE_NETWORKS": ""}, db=tmp / "feeds" / "refused.duckdb")  # fmt: skip
    if Secret.hits != before:
        tally.checks_failed.append("refused addresses were still requested")
    hostile.shutdown()
    secret.shutdown()


def kill_case(tally: Tally, tmp: Path) -> None:
    """kill -9 of a run mid-work: nothing left running, the published warehouse intact, the next run whole."""
    folder = tmp / "kill" / "seeds"
    shutil.copytree(REPO.parent / "shared" / "corpus" / "aeb" / "html", folder)
    db = tmp / "kill" / "w.duckdb"
    (tmp / "kill" / "no-feeds.yaml").write_text("feeds: []\n")
    args = [
        WIRETRACE,
        "run",
        "--seeds",
        str(folder),
        "--db",
        str(db),
        "--feeds",
        str(tmp / "kill" / "no-feeds.yaml"),
    ]
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tally.inputs += 181
    tally.runs += 1
    descendants: set[int] = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(descendants) < 4:  # the fork server and its workers
        descendants |= _descendants(proc.pid)
        time.sleep(0.2)
    proc.kill()
    proc.wait()
    time.sleep(5)
    alive = [pid for pid in descendants if _alive(pid)]
    if alive:
        tally.checks_failed.append(f"kill -9: {len(alive)} processes of the killed run still alive")
        for pid in alive:
            os.kill(pid, signal.SIGKILL)
    names = {p.name for p in folder.iterdir()}
    case(tally, "the run after a kill -9", folder, 181, lambda d, r: accounted(d, names), db=db)


def _descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


# -- 10,000 fuzzed inputs -----------------------------------------------------------------------------


def _fuzz_part(seed: int, count: int) -> tuple[int, int, int, float, list[str]]:
    """In a worker: `count` mutated inputs through the transforms, each timed. (articles, failures,
    timeouts, slowest seconds, crashes)."""
    from flows.workers import process_limited
    from transforms.records import Failure, RawDocument
    from transforms.registry import load_registry

    warnings.simplefilter("ignore")  # dateutil warns about every mangled zone name it meets
    rng = random.Random(seed)
    registry = load_registry()
    inputs = real_inputs()
    articles = failures = timeouts = 0
    slowest = 0.0  # CPU seconds: on a shared machine, wall time measures the neighbours
    crashes: list[str] = []
    for number in range(count):
        name, data = rng.choice(inputs)
        damaged = mutate(data, rng)[:300_000]
        raw = RawDocument(source_ref=f"{seed}-{number}-{name}", data=damaged)
        started = time.process_time()
        try:
            result = process_limited(raw, registry, 10_000_000, INPUT_LIMIT)
        except BaseException as exc:  # an escape is what this counts
            crashes.append(f"{raw.source_ref}: {type(exc).__name__}: {exc}"[:200])
            continue
        slowest = max(slowest, time.process_time() - started)
        if isinstance(result, Failure):
            failures += 1
            timeouts += result.stage == "timeout"
        else:
            articles += 1
    return articles, failures, timeouts, slowest, crashes


def fuzz(count: int, workers: int = 2) -> dict:
    per = [count // (workers * 10)] * (workers * 10)
    per[0] += count - sum(per)
    with ProcessPoolExecutor(workers) as pool:
        parts = list(pool.map(_fuzz_part, range(len(per)), per))
    return {
        "inputs": count,
        "articles": sum(p[0] for p in parts),
        "failures": sum(p[1] for p in parts),
        "hangs": sum(p[2] for p in parts),
        "slowest": max(p[3] for p in parts),
        "crashes": [c for p in parts for c in p[4]],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fuzz", type=int, default=10_000, help="fuzzed inputs (default 10,000)")
    parser.add_argument("--skip-feeds", action="store_true", help="leave out the feed cases")
    args = parser.parse_args()
    tally = Tally()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="wiretrace-adversarial-") as name:
        tmp = Path(name)
        seed_cases(tally, tmp)
        if not args.skip_feeds:
            feed_cases(tally, tmp)
        kill_case(tally, tmp)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    fuzzed = fuzz(args.fuzz)
    print(f"wiretrace runs over hostile inputs ({time.monotonic() - started:.0f} s in all):")
    print(f"  inputs tried        {tally.inputs}")
    expected = "two are meant not to: an unwritable --db, a kill -9"
    print(f"  runs completed      {tally.completed} of {tally.runs} ({expected})")
    print(f"  crashes             {len(tally.crashes)}")
    print(f"  hangs               {len(tally.hangs)}")
    print(f"  rows lost           {len(tally.lost)}")
    print(f"  checks failed       {len(tally.checks_failed)}")
    print(f"  peak memory         {peak / 1e6:.0f} MB (largest process of any run)")
    print(f"fuzzed inputs through the transforms (each with a {INPUT_LIMIT:g} s CPU limit):")
    made = f"{fuzzed['articles']:,} articles, {fuzzed['failures']:,} failures"
    print(f"  inputs              {fuzzed['inputs']:,} ({made})")
    print(f"  crashes             {len(fuzzed['crashes'])}")
    print(f"  hangs (over {INPUT_LIMIT:g} s)   {fuzzed['hangs']}")
    print(f"  slowest input       {fuzzed['slowest']:.2f} s of CPU time")
    for line in tally.crashes + tally.hangs + tally.lost + tally.checks_failed + fuzzed["crashes"]:
        print(f"  - {line}")
    bad = (
        tally.crashes
        or tally.hangs
        or tally.lost
        or tally.checks_failed
        or fuzzed["crashes"]
        or fuzzed["hangs"]
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
