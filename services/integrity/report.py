"""What a verification found: the kinds of problem, each problem, and the whole report."""

from dataclasses import dataclass, field

from services.integrity.comfy_index import IndexFigures

INTEGRITY = "database integrity"
MISSING = "missing archives"
CORRUPT = "corrupt archives"
ARCHIVE_RECORDS = "archive records"
ORPHAN = "orphan archive files"
STAGING = "stale staging folders"
LATEST = "inconsistent latest versions"
SERIALIZED = "inconsistent serialized versions"
SERVED = "inconsistent served nodes"
LISTINGS = "stale listings"
SEARCH_INDEX = "search index out of step"
KINDS = (
    INTEGRITY,
    MISSING,
    CORRUPT,
    ARCHIVE_RECORDS,
    ORPHAN,
    STAGING,
    LATEST,
    SERIALIZED,
    SERVED,
    LISTINGS,
    SEARCH_INDEX,
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the mirror: what it concerns, and what is wrong with it."""

    kind: str
    subject: str
    detail: str
    # What a repair acts on: an archive's sha256, a path, a node key or a version id.
    target: str | None = None

    def __str__(self) -> str:
        return f"{self.subject}: {self.detail}"


@dataclass
class VerifyReport:
    """What a verification checked and found."""

    problems: list[Problem] = field(default_factory=list)
    # Things worth a look that are not the mirror's own, so never removed (e.g. lost+found).
    warnings: list[str] = field(default_factory=list)
    integrity: str = "not run"
    # An import held the archive directory: its leftovers could not be told from its work.
    import_running: bool = False
    nodes: int = 0
    versions: int = 0
    archives: int = 0
    archive_bytes: int = 0
    # The node-class index: counts, and archives that could not be read (never a problem).
    comfy_nodes: IndexFigures = field(default_factory=IndexFigures)

    @property
    def ok(self) -> bool:
        """Whether nothing is wrong."""
        return not self.problems

    def add(self, kind: str, subject: str, detail: str, target: str | None = None) -> None:
        """Record a problem."""
        self.problems.append(Problem(kind, subject, detail, target))

    def by_kind(self) -> dict[str, list[Problem]]:
        """The problems grouped by kind, in report order, leaving out kinds without any."""
        grouped = {kind: [p for p in self.problems if p.kind == kind] for kind in KINDS}
        return {kind: problems for kind, problems in grouped.items() if problems}
