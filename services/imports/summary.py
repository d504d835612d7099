"""What an import did: records added, updated, unchanged and removed, and keys ignored."""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Tally:
    """How many records of one kind an import added, updated, left unchanged and removed."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    def as_dict(self) -> dict[str, int]:
        """The four counts by name."""
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
        }


@dataclass
class IndexSummary:
    """What reading versions' archives for their node classes found."""

    # Versions whose classes were read from their archive, and the classes they register.
    indexed: int = 0
    classes: int = 0
    # Versions whose archive could not be read, by reason ("not indexed: ...").
    not_indexed: Counter = field(default_factory=Counter)
    # Versions whose archive file is missing from the archive directory: left as they were.
    missing: int = 0
    # Distinct archives read, their bytes, and the seconds reading them took.
    archives: int = 0
    archive_bytes: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, int]:
        """The counts, as an import record stores them (times left out)."""
        return {
            "indexed": self.indexed,
            "classes": self.classes,
            "not_indexed": sum(self.not_indexed.values()),
            "missing": self.missing,
        }

    def lines(self, shown_reasons: int = 5) -> list[str]:
        """What was indexed, and the commonest reasons some versions were not."""
        megabytes = self.archive_bytes / 1_000_000
        lines = [
            f"{self.indexed} versions indexed, {self.classes} node classes found, "
            f"{sum(self.not_indexed.values())} not indexed ({self.archives} archives, "
            f"{megabytes:.1f} MB, read in {self.seconds:.1f} s)"
        ]
        for reason, count in self.not_indexed.most_common(shown_reasons):
            lines.append(f"  {count} {reason}")
        if len(self.not_indexed) > shown_reasons:
            lines.append(f"  and {len(self.not_indexed) - shown_reasons} other reasons")
        if self.missing:
            lines.append(
                f"{self.missing} versions left as they were: their archive is missing from the "
                "archive directory (see flask mirror verify)"
            )
        return lines


@dataclass
class ImportSummary:
    """What one import did."""

    publishers: Tally = field(default_factory=Tally)
    nodes: Tally = field(default_factory=Tally)
    versions: Tally = field(default_factory=Tally)
    # Versions whose node classes the dumps carry (upstream's), by what happened to their set.
    comfy_nodes: Tally = field(default_factory=Tally)
    unknown_keys: Counter = field(default_factory=Counter)
    sources: list[str] = field(default_factory=list)
    # Archives the bundles carried and were verified, and those new to the archive directory.
    archives_verified: int = 0
    archives_stored: int = 0
    # Staging folders and unreferenced archives of interrupted imports, removed first.
    leftovers_removed: int = 0
    # Release notes, when a dump carried the key (None: the mirror's were left alone).
    release_notes: Tally | None = None
    # The node classes read from the archives of the import's versions.
    indexing: IndexSummary = field(default_factory=IndexSummary)

    @property
    def changed(self) -> bool:
        """Whether the import changed anything at all."""
        return summary_changed(self.as_dict())

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain data, as stored in the import record."""
        return {
            "publishers": self.publishers.as_dict(),
            "nodes": self.nodes.as_dict(),
            "versions": self.versions.as_dict(),
            "comfy_nodes": self.comfy_nodes.as_dict(),
            "archives_verified": self.archives_verified,
            "archives_stored": self.archives_stored,
            "archives_indexed": self.indexing.as_dict(),
            "unknown_keys": dict(self.unknown_keys),
            **(
                {"release_notes": self.release_notes.as_dict()}
                if self.release_notes is not None
                else {}
            ),
        }

    def lines(self) -> list[str]:
        """The summary as a person reads it."""
        lines = [
            f"{name}: {t.added} added, {t.updated} updated, {t.unchanged} unchanged, "
            f"{t.removed} removed"
            for name, t in (
                ("publishers", self.publishers),
                ("nodes", self.nodes),
                ("versions", self.versions),
                ("release notes", self.release_notes),
            )
            if t is not None
        ]
        classes = self.comfy_nodes
        if classes.added or classes.updated or classes.unchanged:
            lines.append(
                f"versions' node classes from upstream: {classes.added} added, "
                f"{classes.updated} updated, {classes.unchanged} unchanged"
            )
        if self.archives_verified:
            lines.append(
                f"archives: {self.archives_verified} verified, {self.archives_stored} newly stored"
            )
        indexing = self.indexing
        if indexing.indexed or indexing.not_indexed or indexing.missing:
            first, *more = indexing.lines()
            lines.extend([f"node classes read from archives: {first}", *more])
        if self.leftovers_removed:
            lines.append(f"leftovers of interrupted imports removed: {self.leftovers_removed}")
        total_unknown = sum(self.unknown_keys.values())
        if total_unknown:
            common = ", ".join(
                f"{key} ({count})" for key, count in self.unknown_keys.most_common(5)
            )
            lines.append(f"unknown keys ignored: {total_unknown} ({common})")
        else:
            lines.append("unknown keys ignored: 0")
        if not self.changed:
            lines.append("The mirror already held exactly this data: nothing changed.")
        return lines


def summary_changed(stored: dict[str, Any]) -> bool:
    """Whether a summary, as an import record stores it, says the import changed anything."""
    names = ("publishers", "nodes", "versions", "comfy_nodes", "release_notes")
    tallies = (stored.get(name) or {} for name in names)
    indexed = stored.get("archives_indexed") or {}
    if indexed.get("indexed") or indexed.get("not_indexed"):
        return True
    return bool(stored.get("archives_stored")) or any(
        tally.get("added") or tally.get("updated") or tally.get("removed") for tally in tallies
    )
