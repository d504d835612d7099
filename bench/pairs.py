"""Bulk requests of generated pairs, the floor's answer (plain driver + orjson), and checking."""

import random
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

import orjson

from bench.dumps import id_width, node_id, version_string

# Below SQLite's 32,766 bound values per statement.
FLOOR_KEYS_PER_QUERY = 10_000


class BenchmarkError(Exception):
    """A response that is not the answer the request asked for: the figures would be void."""


@dataclass
class BulkRequest:
    """One request body, the pairs it asks for in order, and how many of them exist."""

    body: bytes
    pairs: list[tuple[str, str]]
    hits: int


def make_request(
    rng: random.Random, nodes: int, versions_per_node: int, size: int, hit_ratio: float
) -> BulkRequest:
    """Random distinct existing pairs, plus misses: unknown nodes and unknown versions."""
    width = id_width(nodes)
    hits = round(size * hit_ratio)
    existing = rng.sample(range(nodes * versions_per_node), min(hits, nodes * versions_per_node))
    hits = len(existing)
    pairs = [
        (node_id(number // versions_per_node, width), version_string(number % versions_per_node))
        for number in existing
    ]
    for miss in range(size - hits):
        if miss % 2 == 0:
            node = f"comfyui-absent-{rng.randrange(nodes):0{width}d}"
            pairs.append((node, version_string(rng.randrange(versions_per_node))))
        else:
            unknown = version_string(versions_per_node + rng.randrange(versions_per_node))
            pairs.append((node_id(rng.randrange(nodes), width), unknown))
    rng.shuffle(pairs)
    body = orjson.dumps({"node_versions": [{"node_id": n, "version": v} for n, v in pairs]})
    return BulkRequest(body, pairs, hits)


def sqlite_fetch(connection: sqlite3.Connection) -> Callable[[list[str]], dict[str, str]]:
    """The floor's look-up on SQLite: plain sqlite3, IN lists on the unique pair_key index."""

    def fetch(unique: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for start in range(0, len(unique), FLOOR_KEYS_PER_QUERY):
            chunk = unique[start : start + FLOOR_KEYS_PER_QUERY]
            placeholders = ",".join("?" * len(chunk))
            found.update(
                connection.execute(
                    "SELECT pair_key, serialized FROM node_versions "
                    f"WHERE pair_key IN ({placeholders})",
                    chunk,
                )
            )
        return found

    return fetch


def floor_answer(fetch: Callable[[list[str]], dict[str, str]], body: bytes) -> bytes:
    """The bulk response from the database driver and orjson: about the least work it takes."""
    pairs = [(item["node_id"], item["version"]) for item in orjson.loads(body)["node_versions"]]
    keys = [f"{node.lower()}/{version}" for node, version in pairs]
    found = fetch(list(dict.fromkeys(keys)))
    results = []
    for (node, version), key in zip(pairs, keys, strict=True):
        identifier = {"node_id": node, "version": version}
        serialized = found.get(key)
        if serialized is None:
            results.append({"identifier": identifier, "status": "not_found"})
        else:
            results.append(
                {
                    "identifier": identifier,
                    "status": "success",
                    "node_version": orjson.Fragment(serialized),
                }
            )
    return orjson.dumps({"node_versions": results})


def check_answer(status: int, app_body: bytes, floor_body: bytes, request: BulkRequest) -> None:
    """Refuse an app response that does not answer the request or differs from the floor's."""
    if status != 200:
        raise BenchmarkError(f"status {status}: {app_body[:300]!r}")
    results = orjson.loads(app_body)["node_versions"]
    asked = [(r["identifier"]["node_id"], r["identifier"]["version"]) for r in results]
    if asked != request.pairs:
        raise BenchmarkError(f"{len(results)} results do not echo the {len(request.pairs)} pairs")
    successes = sum(result["status"] == "success" for result in results)
    if successes != request.hits:
        raise BenchmarkError(f"{successes} successes, expected {request.hits}")
    if results != orjson.loads(floor_body)["node_versions"]:
        raise BenchmarkError("the app's results differ from the floor's")
