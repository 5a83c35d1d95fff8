"""Every SQL statement of the reports, and the analysts' questions file.

The report (terminal and HTML) and the daily report flow read the warehouse only through
`report_data`, on a read-only connection to the published file: they never need the run lock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

QUESTIONS_FILE = Path(__file__).parent / "questions.sql"

# The biggest story first: the one a report without --story looks at closest.
_STORY_ORDER = "ORDER BY articles DESC, first_seen, story_id"


# The columns of a story timeline as reports show them: (column, heading).
TIMELINE_COLUMNS = (
    ("position", "#"),
    ("date_shown", "date"),
    ("outlet", "outlet"),
    ("title", "title"),
    ("sources", "credits"),
    ("reuse_explanation", "text reuse"),
)


@dataclass(frozen=True)
class Question:
    name: str
    question: str
    sql: str


def load_questions(path: Path = QUESTIONS_FILE) -> list[Question]:
    """The `-- name:` blocks of questions.sql, in file order."""
    text = path.read_text(encoding="utf-8")
    blocks = re.split(r"^-- name:\s*", text, flags=re.MULTILINE)[1:]
    questions = []
    for block in blocks:
        name, _, rest = block.partition("\n")
        lines = rest.strip().splitlines()
        asked = [ln[3:].strip() for ln in lines if ln.startswith("-- ")]
        sql = "\n".join(ln for ln in lines if not ln.startswith("-- ")).strip()
        questions.append(Question(name.strip(), " ".join(asked), sql))
    return questions


def questions_markdown(path: Path = QUESTIONS_FILE) -> str:
    """The questions as README markdown: a numbered heading and the SQL of each."""
    parts = []
    for number, q in enumerate(load_questions(path), 1):
        parts.append(f"{number}. **{q.question}** (`{q.name}`)\n\n   ```sql\n")
        parts.append("\n".join(f"   {ln}" if ln else "" for ln in q.sql.splitlines()))
        parts.append("\n   ```\n\n")
    return "".join(parts).rstrip() + "\n"


@dataclass
class ReportData:
    """What a report shows; rows are plain dicts so the terminal and HTML renderers share them."""

    db_path: str
    totals: dict
    last_run: dict | None
    story: dict | None  # the story the report is about (--story), else None
    stories: list[dict] = field(default_factory=list)
    timeline: list[dict] = field(default_factory=list)  # of `story`, else of the biggest story
    timeline_story: dict | None = None
    agency_daily: list[dict] = field(default_factory=list)  # articles giving a publication date only
    undated_credited: list[dict] = field(default_factory=list)  # per agency: undated articles left out
    wire_share: list[dict] = field(default_factory=list)
    uncredited: list[dict] = field(default_factory=list)
    sources_by_outlet: list[dict] = field(default_factory=list)
    open_failures: list[dict] = field(default_factory=list)
    runs: list[dict] = field(default_factory=list)


class UnknownStory(LookupError):
    """--story named a story that is not in the warehouse (or a prefix of several)."""


SHORT_ID = 8  # characters of a story id after 'story-' that reports show; --story accepts any unique prefix


def short_story_id(story_id: str) -> str:
    """'story-73119543ea2c53c7' -> '73119543': what fits a terminal column and `--story` accepts."""
    return story_id.removeprefix("story-")[:SHORT_ID]


def resolve_story(con: duckdb.DuckDBPyConnection, wanted: str) -> str:
    """The story id that `wanted` names: a whole id, or a unique prefix with or without 'story-'."""
    key = wanted.strip().removeprefix("story-")
    found = [
        r[0]
        for r in con.execute(
            "SELECT story_id FROM stories WHERE story_id = ? OR starts_with(story_id, 'story-' || ?)",
            [wanted.strip(), key],
        ).fetchall()
    ]
    if wanted.strip() in found:
        return wanted.strip()
    if len(found) != 1 or not key:
        raise UnknownStory(wanted if not found else f"{wanted} (matches {len(found)} stories)")
    return found[0]


def agency_totals(data: ReportData) -> list[dict]:
    """Per agency: articles carrying or citing it, days with dated ones, and how many give no date."""
    out: dict[str, dict] = {}
    blank = dict.fromkeys(("carried", "origin", "reuse", "cited", "days", "undated"), 0)
    for r in data.agency_daily:
        a = out.setdefault(r["agency"], {"agency": r["agency"], **blank})
        for key in ("carried", "origin", "reuse", "cited"):
            a[key] += r[key]
        a["days"] += 1
    for r in data.undated_credited:
        a = out.setdefault(r["agency"], {"agency": r["agency"], **blank})
        for key in ("carried", "origin", "reuse", "cited"):
            a[key] += r[key]
        a["undated"] += r["articles"]
    return sorted(out.values(), key=lambda a: (-a["carried"] - a["cited"], a["agency"]))


def _dicts(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def report_data(con: duckdb.DuckDBPyConnection, db_path: str, story_id: str | None = None) -> ReportData:
    """Everything the report shows; with `story_id`, coverage and outlets of that story only."""
    story = None
    if story_id:
        story_id = resolve_story(con, story_id)
        found = _dicts(con, "SELECT * FROM story_summary WHERE story_id = ?", [story_id])
        if not found:
            raise UnknownStory(story_id)
        story = found[0]
    # One filter on articles serves every per-article query: all articles, or the story's.
    in_scope = "(? IS NULL OR a.story_id = ?)"
    scope = [story_id, story_id]

    totals = _dicts(
        con,
        f"""SELECT count(*) AS articles,
                   count(DISTINCT a.outlet) FILTER (WHERE a.outlet <> '(unknown)') AS outlets,
                   count(DISTINCT a.story_id) AS stories, min(a.day) AS first_day, max(a.day) AS last_day,
                   (SELECT count(DISTINCT source) FROM article_sources s JOIN articles a USING (article_id)
                     WHERE s.kind = 'agency' AND {in_scope}) AS agencies,
                   (SELECT count(*) FROM open_failures) AS open_failures,
                   count(*) FILTER (WHERE a.date_basis = 'first_seen') AS undated,
                   min(a.day) FILTER (WHERE a.date_basis <> 'first_seen') AS first_dated_day,
                   max(a.day) FILTER (WHERE a.date_basis <> 'first_seen') AS last_dated_day
            FROM article_summary a WHERE {in_scope}""",
        scope + scope,
    )[0]
    runs = _dicts(
        con,
        """SELECT run_id, flow, started_at, finished_at, status, inputs_seen, articles_new,
                  articles_updated, articles_unchanged, failures
           FROM runs ORDER BY started_at DESC LIMIT 10""",
    )
    stories = _dicts(
        con,
        f"""SELECT story_id, label, articles, outlets, first_seen, last_seen, first_outlet, agencies,
                   first_shown, last_shown, undated_articles
            FROM story_summary WHERE (? IS NULL OR story_id = ?) {_STORY_ORDER}""",
        scope,
    )
    timeline_story = story or (stories[0] if stories else None)
    timeline = (
        _dicts(
            con,
            """SELECT position, outlet, title, url, seen_at, sources, copied_from, reuse_explanation,
                      date_basis, date_shown
               FROM story_timeline WHERE story_id = ? ORDER BY position""",
            [timeline_story["story_id"]],
        )
        if timeline_story
        else []
    )
    # Charts plot publication days only: an undated article's first-seen day is not when it was
    # published. They are counted in undated_credited and listed, marked, in the timeline.
    agency_daily = _dicts(
        con,
        f"""SELECT a.day, r.source AS agency,
                   count(DISTINCT a.article_id) FILTER (WHERE r.role IN ('origin', 'reuse')) AS carried,
                   count(DISTINCT a.article_id) FILTER (WHERE r.role = 'origin') AS origin,
                   count(DISTINCT a.article_id) FILTER (WHERE r.role = 'reuse') AS reuse,
                   count(DISTINCT a.article_id) FILTER (WHERE r.role = 'cited') AS cited
            FROM stg_articles a JOIN stg_article_roles r USING (article_id)
            WHERE r.kind = 'agency' AND a.date_basis <> 'first_seen' AND {in_scope}
            GROUP BY ALL ORDER BY a.day, agency""",
        scope,
    )
    undated_credited = _dicts(
        con,
        f"""SELECT r.source AS agency, count(DISTINCT a.article_id) AS articles,
                   count(DISTINCT a.article_id) FILTER (WHERE r.role IN ('origin', 'reuse')) AS carried,
                   count(DISTINCT a.article_id) FILTER (WHERE r.role = 'origin') AS origin,
                   count(DISTINCT a.article_id) FILTER (WHERE r.role = 'reuse') AS reuse,
                   count(DISTINCT a.article_id) FILTER (WHERE r.role = 'cited') AS cited
            FROM stg_articles a JOIN stg_article_roles r USING (article_id)
            WHERE r.kind = 'agency' AND r.role IN ('origin', 'reuse', 'cited') AND a.date_basis = 'first_seen'
              AND {in_scope}
            GROUP BY ALL ORDER BY articles DESC, agency""",
        scope,
    )
    if story_id:
        # wire_share is per outlet over all articles; for one story, its articles' shares weighted by length.
        wire = _dicts(
            con,
            """SELECT outlet, count(*) AS articles,
                      count(*) FILTER (WHERE len(origin_agencies) > 0) AS origin_articles,
                      count(*) FILTER (WHERE len(origin_agencies) = 0 AND wire_share > 0) AS reusing_articles,
                      round(sum(wire_share * word_count) / nullif(sum(word_count), 0), 4) AS agency_share
               FROM article_summary WHERE story_id = ? GROUP BY outlet
               ORDER BY agency_share DESC, outlet""",
            [story_id],
        )
    else:
        wire = _dicts(
            con,
            """SELECT outlet, articles, origin_articles, reusing_articles, origin_chars, reused_chars,
                      total_chars, agency_share
               FROM wire_share ORDER BY agency_share DESC, outlet""",
        )
    uncredited = _dicts(
        con,
        f"""SELECT u.outlet, u.agency, u.title, u.passages,
                   u.copied_chars, u.share
            FROM uncredited_copies u JOIN articles a USING (article_id)
            WHERE {in_scope} ORDER BY u.copied_chars DESC""",
        scope,
    )
    sources = _dicts(
        con,
        f"""SELECT coalesce(a.outlet, '(unknown)') AS outlet, r.source, r.kind, r.role,
                   count(DISTINCT a.article_id) AS articles
            FROM stg_articles a JOIN stg_article_roles r USING (article_id)
            WHERE {in_scope} GROUP BY ALL ORDER BY outlet, articles DESC, r.source, r.role""",
        scope,
    )
    failures = _dicts(con, "SELECT origin, source_ref, stage, reason, attempts FROM open_failures LIMIT 50")
    return ReportData(
        db_path=db_path,
        totals=totals,
        last_run=runs[0] if runs else None,
        story=story,
        stories=stories,
        timeline=timeline,
        timeline_story=timeline_story,
        agency_daily=agency_daily,
        undated_credited=undated_credited,
        wire_share=wire,
        uncredited=uncredited,
        sources_by_outlet=sources,
        open_failures=failures,
        runs=runs,
    )
