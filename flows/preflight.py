"""What `wiretrace run` checks before it starts anything heavy: can the warehouse be written?

Light on purpose (no Prefect, no extraction libraries): the CLI checks here right after starting
Prefect's temporary API, so a warehouse that cannot be written is one clear line in well under a
second, instead of after the imports of the whole pipeline.
"""

from __future__ import annotations

from clients import warc
from warehouse import db
from warehouse.session import LegacyWarehouse, check_writable


class StartupError(RuntimeError):
    """The run could not start (Prefect's API, the warehouse file); the message says what to do."""


def check_startup(db_path: str) -> None:
    """StartupError unless a run could write the warehouse at `db_path` and its archive folder."""
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
