from datetime import date, datetime, timedelta

import pytest

from transforms.dates import normalize_date, parse_iso


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("May 10, 2017 01:41 PM EDT", "2017-05-10T13:41:00-04:00"),
        ("06 May 2017", "2017-05-06"),
        ("2017-05-06", "2017-05-06"),
        ("Tue, 09 May 2017 14:00:00 GMT", "2017-05-09T14:00:00+00:00"),
        ("Tue, 09 May 2017 14:00:00 +0800", "2017-05-09T14:00:00+08:00"),
        ("2019-11-19T10:00:00+01:00", "2019-11-19T10:00:00+01:00"),
        ("2020-01-16T21:07:00Z", "2020-01-16T21:07:00+00:00"),
        # A time with no zone is no known instant: only its date is kept.
        ("2017-05-10 13:41", "2017-05-10"),
        ("not a date", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_date(value, expected):
    assert normalize_date(value) == expected


def test_parse_iso_gives_instant_and_local_calendar_date():
    moment, day = parse_iso("2017-05-10T23:41:00-04:00")
    assert moment.utcoffset() == timedelta(hours=-4)
    assert moment.astimezone().tzinfo is not None
    assert day == date(2017, 5, 10)  # the outlet's own date, not UTC's (May 11)
    assert parse_iso("2017-05-06") == (None, date(2017, 5, 6))
    assert parse_iso(None) == (None, None)
    assert isinstance(parse_iso("2017-05-06T00:00:00+00:00")[0], datetime)
