"""What `wiretrace run` checks before it starts anything heavy: can the warehouse be written, is the
seeds folder there, can the feeds config it was given be used?

Light on purpose (no Prefect, no extraction libraries): the CLI checks here right after starting
Prefect's temporary API, so a warehouse that cannot be written is one clear line in well under a
second, instead of after the imports of the whole pipeline.
"""

from __future__ import annotations

from pathlib import Path

from clients import warc
from warehouse import db
from warehouse.session import LegacyWarehouse, check_writable


class StartupError(RuntimeError):
    """The run could not start (Prefect's API, the warehouse file); the message says what to do."""


def check_startup(db_path: str, seeds_dir: str | None = None, feeds_file: str | None = None) -> None:
    """StartupError unless a run could write the warehouse at `db_path` and its archive folder, read
    the seeds folder `seeds_dir` and use the feeds config `feeds_file` (each when given).

    Give `feeds_file` only when the user named it (--feeds): a mistake in it is a usage error. The
    default feeds.yaml is checked by the run, which records a config it cannot use as a failure and
    still reads the seeds (flows/ingest.py).
    """
    if seeds_dir is not None and not Path(seeds_dir).is_dir():
        what = "is not a folder" if Path(seeds_dir).exists() else "not found"
        raise StartupError(
            f"seeds folder {what}: {seeds_dir}; pass --seeds PATH (a folder of .txt/.html files)"
        )
    if feeds_file is not None:
        from clients.config_files import load_feed_config  # its imports only for runs given feeds
        from transforms.feeds import FeedConfigError

        try:
            load_feed_config(feeds_file)
        except FeedConfigError as exc:
            reason = str(exc).removeprefix("feeds config ")  # the option names what the file is
            raise StartupError(" ".join(f"--feeds {reason}".split())) from None
    try:
        check_writable(db_path)
        warc.check_writable(db.archive_root_for(db_path))
    except LegacyWarehouse as exc:  # the storage before DuckLake: say which command converts it
        raise StartupError(str(exc)) from None
    except OSError as exc:
        raise StartupError(
            f"cannot write the warehouse {db_path}: {exc.strerror or exc}; "
            "choose another --db (or WIRETRACE_DB), or fix the folder's permissions"
        ) from None
