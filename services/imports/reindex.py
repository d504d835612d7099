"""`flask mirror index`: reading the archives the mirror already holds, as one transaction.

The archives are read first, holding the archive directory beside imports (so no repair
removes one meanwhile) but not the database's write lock; then, under the write lock, the
versions still needing it are chosen again and their classes written, all or nothing.
"""

import contextlib
import os

from sqlalchemy.orm import Session

from database import begin_write, checkpoint_wal, end_snapshot, writer_wait
from models import ImportKind, ImportRecord
from services.archives import ArchiveStore
from services.imports.archive_index import ArchiveReading, index_versions, indexable_versions
from services.imports.run import STORE_REFUSED, STORE_WAITS
from services.imports.summary import IndexSummary
from services.progress import Progress


def index_mirror(
    session: Session, store: ArchiveStore, rebuild: bool = False, progress: Progress | None = None
) -> IndexSummary:
    """Read the node classes of every version with an archive and none recorded (with
    `rebuild`, also of those read before; upstream's are never replaced), and commit them."""
    reading = ArchiveReading(store.path_for)
    with contextlib.ExitStack() as held:
        # A mirror that never stored an archive has no directory to hold (nor one to make).
        if os.path.isdir(store.root):
            lock = held.enter_context(store.lock())
            wait = writer_wait(session)
            lock.share(lambda: wait.blocked(STORE_WAITS, STORE_REFUSED))
        versions = indexable_versions(session, rebuild=rebuild)
        end_snapshot(session)  # no snapshot held while the archives are read
        reading.read((version.archive_sha256 for version in versions), progress)
        try:
            begin_write(session)
            versions = indexable_versions(session, rebuild=rebuild)
            index_versions(session, versions, reading)
            summary = reading.summary
            if summary.indexed or summary.not_indexed:
                # Recorded like an import, so what caches the data by its last import sees it.
                record = ImportRecord(kind=ImportKind.INDEX, sources=[], replace=False)
                session.add(record)
                record.summary = {"archives_indexed": summary.as_dict()}
            session.commit()
        except BaseException:
            session.rollback()
            raise
    checkpoint_wal(session.get_bind())
    return reading.summary
