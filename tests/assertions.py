"""Assertions several test modules share."""


def assert_error(response, status: int, *phrases: str) -> str:
    """The response is an ErrorResponse with `status` whose message holds each phrase."""
    assert response.status_code == status, response.data
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error", "message"}
    assert all(isinstance(value, str) and value for value in body.values())
    for phrase in phrases:
        assert phrase in body["message"]
    return body["message"]
