"""Field types the registry's wire format needs beyond marshmallow's own."""

import re
from datetime import UTC, datetime

from marshmallow import fields

from services.timestamps import rfc3339

_RFC3339 = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})"
)


class UTCDateTime(fields.DateTime):
    """An RFC 3339 date-time, stored as naive UTC and sent as upstream does (microseconds, Z)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return rfc3339(value)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE)
        match = _RFC3339.fullmatch(value)
        if match is None:
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE)
        day, clock, fraction, offset = match.groups()
        # Go and PostgreSQL may carry nanoseconds; Python keeps microseconds.
        fraction = ((fraction or "") + "000000")[:6]
        offset = "+00:00" if offset in ("Z", "z") else offset
        try:
            moment = datetime.fromisoformat(f"{day}T{clock}.{fraction}{offset}")
            return moment.astimezone(UTC).replace(tzinfo=None)
        except (ValueError, OverflowError):
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE) from None


class StrictBoolean(fields.Boolean):
    """A JSON boolean only: no "false" strings or 0/1 numbers turned into booleans."""

    def _deserialize(self, value, attr, data, **kwargs):
        if type(value) is not bool:
            raise self.make_error("invalid", input=value)
        return value


class StrictFloat(fields.Float):
    """A JSON number only: no numeric strings."""

    def _deserialize(self, value, attr, data, **kwargs):
        if type(value) not in (int, float):
            raise self.make_error("invalid", input=value)
        return super()._deserialize(value, attr, data, **kwargs)
