"""After an import the SQLite WAL file is truncated, not left as large as the import."""

from pathlib import Path

from tests.dumps import dump, import_dump, node, version

NODES = 2000
# What a checkpointed WAL may still hold: a few pages written after the import's checkpoint.
SMALL_WAL_BYTES = 64 * 1024


def test_the_wal_file_is_small_after_a_large_import(app, runner, tmp_path):
    large = dump(
        *(
            node(f"pack-{index:05d}", version("1.0.0"), version("1.1.0"), description="x" * 500)
            for index in range(NODES)
        )
    )
    result = import_dump(runner, tmp_path, large)
    assert result.exit_code == 0, result.output
    database = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    wal = Path(f"{database}-wal")
    # The import was large: without a checkpoint its pages would all sit in the WAL.
    assert database.stat().st_size > 20 * SMALL_WAL_BYTES
    assert not wal.exists() or wal.stat().st_size < SMALL_WAL_BYTES
