"""The bases of the wire schemas."""

from marshmallow import EXCLUDE, Schema, post_dump


class WireSchema(Schema):
    """A body that crosses the wire: unknown keys are ignored, as upstream adds fields over time."""

    class Meta:
        unknown = EXCLUDE


class OmitsMissingSchema(WireSchema):
    """Leaves out fields the mirror has no value for, as upstream does, instead of sending null."""

    @post_dump
    def omit_missing(self, data, **kwargs):
        """Drop keys whose value is None; keep the rest in upstream's (alphabetical) order."""
        return {key: data[key] for key in sorted(data) if data[key] is not None}
