"""Publication dates to ISO 8601: with the UTC offset when the time is known, else the date."""

from __future__ import annotations

import functools
import re
from datetime import date, datetime

from dateutil import parser as dateutil_parser

from transforms.registry import DATA_DIR, read_data_file

_HAS_TIME = re.compile(r"\d{1,2}:\d{2}")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@functools.cache
def _tzinfos() -> dict[str, int]:
    return {k: int(v) for k, v in read_data_file(DATA_DIR / "timezones.yaml").items()}


def normalize_date(value: str | None) -> str | None:
    """'May 10, 2017 01:41 PM EDT' -> '2017-05-10T13:41:00-04:00'; '06 May 2017' -> '2017-05-06'.

    A time with no zone is not a known instant, so only its date is kept.
    Returns None for text that holds no date.
    """
    if not value or not value.strip():
        return None
    value = value.strip()
    if _ISO_DATE.match(value):
        return value
    try:
        parsed = dateutil_parser.parse(value, tzinfos=_tzinfos(), fuzzy=False)
    except (ValueError, OverflowError):
        return None
    if not (1900 <= parsed.year <= 2100):
        return None
    if _HAS_TIME.search(value) and parsed.tzinfo is not None:
        return parsed.isoformat()
    return parsed.date().isoformat()


def parse_iso(value: str | None) -> tuple[datetime | None, date | None]:
    """An ISO string from normalize_date as (instant or None, calendar date or None)."""
    if not value:
        return None, None
    if _ISO_DATE.match(value):
        return None, date.fromisoformat(value)
    moment = datetime.fromisoformat(value)
    return moment, moment.date()
