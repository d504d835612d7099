"""The ErrorResponse shape, and turning marshmallow's nested messages into readable places."""

from marshmallow import fields

from schemas.base import WireSchema


class ErrorResponseSchema(WireSchema):
    """Every error the mirror returns: a short error name and a message saying what to do."""

    error = fields.String(required=True)
    message = fields.String(required=True)


def flatten_messages(messages, place: str = "") -> list[str]:
    """Turn {"nodes": {3: {"id": ["..."]}}} into ["nodes[3].id: ..."]."""
    if isinstance(messages, str):
        return [f"{place or 'body'}: {messages}"]
    if isinstance(messages, list):
        flat: list[str] = []
        for message in messages:
            flat.extend(flatten_messages(message, place))
        return flat
    flat = []
    for key, nested in messages.items():
        if key == "_schema":
            child = place
        elif isinstance(key, int):
            child = f"{place}[{key}]"
        else:
            child = f"{place}.{key}" if place else str(key)
        flat.extend(flatten_messages(nested, child))
    return flat


def summarize_messages(messages, limit: int = 10) -> str:
    """One message naming the first few problems and how many more there are."""
    flat = flatten_messages(messages)
    text = "; ".join(flat[:limit])
    if len(flat) > limit:
        text += f"; and {len(flat) - limit} more problem(s)"
    return text
