"""The bulk benchmark voids its figures when an answer is not the one its request asked for."""

import random

import orjson
import pytest

from bench import pairs


def test_an_answer_missing_a_success_voids_the_benchmark():
    request = pairs.make_request(random.Random(1), 20, 3, 5, 0.8)
    truncated = orjson.dumps(
        {
            "node_versions": [
                {"identifier": {"node_id": node, "version": version}, "status": "not_found"}
                for node, version in request.pairs
            ]
        }
    )

    with pytest.raises(pairs.BenchmarkError, match="successes"):
        pairs.check_answer(200, truncated, truncated, request)
