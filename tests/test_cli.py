"""The `wiretrace` console script, as other checks call it."""

import gzip
import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, SEEDS, source_problems

WIRETRACE = [str(Path(sys.executable).with_name("wiretrace"))]


def run_cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run(WIRETRACE + list(args), cwd=cwd, capture_output=True, text=True, timeout=120)


def test_tag_json_on_the_seeds_matches_the_gold(seed_gold):
    files = sorted(SEEDS.glob("*.txt"))
    done = run_cli("tag", "--json", *map(str, files))
    assert done.returncode == 0, done.stderr
    items = json.loads(done.stdout)
    assert [item["file"] for item in items] == list(map(str, files))
    for item in items:
        gold = seed_gold[Path(item["file"]).name]
        assert item["title"] == gold["title"]
        assert item["byline"] == gold["byline"]
        assert item["published"] == gold["published"]
        for phrase in gold["body_must_contain"]:
            assert phrase in item["text"]
        for phrase in gold["body_must_not_contain"]:
            assert phrase not in item["text"]
        assert item["language"] == "en"
        tags = [(s["source"], s["role"]) for s in item["sources"]]
        assert source_problems(tags, gold["sources"], with_reuse=False) == [], item["file"]
        for s in item["sources"]:
            assert set(s) == {"source", "kind", "role", "evidence", "start", "end"}
            assert s["kind"] in ("agency", "outlet")
            if s["start"] is not None:
                assert item["text"][s["start"] : s["end"]] == s["evidence"]


def test_tag_reads_gzip_html_and_takes_url_and_manifest(tmp_path, corpus_dir):
    truth = json.loads((corpus_dir / "aeb" / "ground-truth.json").read_text())
    page_id, gold = next(iter(sorted(truth.items())))
    page = tmp_path / "page.html.gz"
    page.write_bytes((corpus_dir / "aeb" / "html" / f"{page_id}.html.gz").read_bytes())
    (tmp_path / "manifest.csv").write_text("file,outlet,published\npage.html.gz,Test Outlet,2019-01-02\n")
    done = run_cli(
        "tag", "--json", "--url", gold["url"], "--manifest", str(tmp_path / "manifest.csv"), str(page)
    )
    assert done.returncode == 0, done.stderr
    (item,) = json.loads(done.stdout)
    assert item["url"] == gold["url"]
    assert item["outlet"] == "Test Outlet"
    first_words = " ".join(gold["articleBody"].split()[:6])
    assert first_words in " ".join(item["text"].split())


def test_tag_reports_a_bad_file_and_still_tags_the_rest(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    good = tmp_path / "good.txt.gz"
    good.write_bytes(gzip.compress((SEEDS / "002_cd3e9b45309f4b3f.txt").read_bytes()))
    done = run_cli("tag", "--json", str(empty), str(good))
    assert done.returncode == 1
    bad, ok = json.loads(done.stdout)
    assert bad == {"file": str(empty), "error": "decode: empty file"}
    assert ok["title"] == "Russia bans Chinese instant messaging app WeChat"
