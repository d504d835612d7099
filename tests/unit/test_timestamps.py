"""Date-times written as upstream writes them (services/timestamps.py)."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.timestamps import parse_rfc3339, rfc3339

NOON = datetime(2026, 11, 30, 12, 0, 0, 123456)


@pytest.mark.parametrize(
    "moment",
    [
        pytest.param(NOON, id="naive-utc"),
        pytest.param(NOON.replace(tzinfo=UTC), id="aware-utc"),
        pytest.param(
            NOON.replace(tzinfo=UTC).astimezone(timezone(timedelta(hours=2))), id="aware-plus-two"
        ),
    ],
)
def test_a_time_is_written_in_utc_with_microseconds_and_z(moment):
    assert rfc3339(moment) == "2026-11-30T12:00:00.123456Z"


def test_a_written_time_reads_back_as_the_same_naive_utc_time():
    assert parse_rfc3339(rfc3339(NOON)) == NOON


@pytest.mark.parametrize("text", ["2026-11-30T12:00:00Z", "2026-11-30T12:00:00.123456+00:00", ""])
def test_a_time_in_another_spelling_is_not_read(text):
    with pytest.raises(ValueError):
        parse_rfc3339(text)
