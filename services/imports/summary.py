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
    return bool(stored.get("archives_stored")) or any(
        tally.get("added") or tally.get("updated") or tally.get("removed") for tally in tallies
    )
