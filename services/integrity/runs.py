"""Verify runs: recording what each verification found (services/catalog/status reads them)."""

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from database import WriteLockHeld, WriterWait, begin_write, set_writer_wait, writer_wait
from models import VerifyRun
from services.integrity.report import VerifyReport

# Runs kept: enough history to look back on, never a table that grows for years.
KEPT_RUNS = 100


def record_verification(session: Session, report: VerifyReport, repaired: bool) -> bool:
    """Store what a verification found; False if it could not be written (another writer
    held the lock, or the database is read-only): a verification never waits to record."""
    previous = writer_wait(session)
    set_writer_wait(session, WriterWait(wait=False))
    try:
        begin_write(session, catalog=False)
        session.add(
            VerifyRun(
                repaired=repaired,
                problems=len(report.problems),
                problem_kinds={kind: len(found) for kind, found in report.by_kind().items()},
                nodes=report.nodes,
                versions=report.versions,
                archives=report.archives,
            )
        )
        session.flush()
        _forget_old_runs(session)
        session.commit()
    except (WriteLockHeld, sa_exc.OperationalError):
        session.rollback()
        return False
    finally:
        set_writer_wait(session, previous)
    return True


def _forget_old_runs(session: Session) -> None:
    """Keep the newest KEPT_RUNS runs."""
    kept = sa.select(VerifyRun.id).order_by(VerifyRun.id.desc()).limit(KEPT_RUNS).subquery()
    session.execute(sa.delete(VerifyRun).where(VerifyRun.id.not_in(sa.select(kept.c.id))))
