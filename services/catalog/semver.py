"""Ordering version strings by semantic-version precedence (1.10.0 after 1.9.0)."""

import re

_SEMVER = re.compile(
    r"v?(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:\.(0|[1-9]\d*))?"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?"
)


def precedence_key(version: str) -> tuple:
    """A sort key: semantic versions by precedence, above anything else (e.g. commit hashes)."""
    match = _SEMVER.fullmatch(version)
    if match is None:
        return (0, (), (), version)
    major, minor, patch, prerelease = match.groups()
    numbers = (int(major), int(minor or 0), int(patch or 0))
    if prerelease is None:
        # A release ranks above every pre-release of the same numbers.
        release_rank: tuple = (1,)
    else:
        release_rank = (
            0,
            *(
                (0, int(part), "") if part.isdigit() else (1, 0, part)
                for part in prerelease.split(".")
            ),
        )
    return (1, numbers, release_rank, version)


def is_semantic_version(version: str) -> bool:
    """Whether a string is a semantic version (a leading "v" and a missing patch allowed)."""
    return _SEMVER.fullmatch(version) is not None


def newest_first(versions: list[str]) -> list[str]:
    """The given version strings, highest precedence first."""
    return sorted(versions, key=precedence_key, reverse=True)
