"""Date-times as the registry writes them: RFC 3339 in UTC, with microseconds and a Z."""

from datetime import UTC, datetime

# Upstream's own spelling, e.g. 2026-11-30T12:00:00.000000Z.
RFC3339_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def rfc3339(moment: datetime) -> str:
    """A UTC time (naive, as the mirror stores it, or aware) as upstream writes it."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime(RFC3339_FORMAT)


def parse_rfc3339(text: str) -> datetime:
    """A time written by rfc3339() back as naive UTC; ValueError for any other spelling."""
    return datetime.strptime(text, RFC3339_FORMAT)


def now_rfc3339() -> str:
    """The current time as upstream writes it."""
    return rfc3339(datetime.now(UTC))
