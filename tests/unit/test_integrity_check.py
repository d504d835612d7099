"""The database integrity check of `flask mirror verify`, on backends it has no check for."""

from types import SimpleNamespace

from services.integrity.report import VerifyReport
from services.integrity.verify import check_database


def test_the_integrity_check_is_skipped_and_named_on_other_backends():
    mysql = SimpleNamespace(dialect=SimpleNamespace(name="mysql"))
    session = SimpleNamespace(get_bind=lambda: mysql)
    report = VerifyReport()

    check_database(session, report)

    assert report.ok
    assert report.integrity == "skipped (no integrity check for mysql)"
