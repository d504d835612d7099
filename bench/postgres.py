"""Benchmark mirrors on PostgreSQL: a database per mirror on a given server, and the floor."""

from collections.abc import Callable

import psycopg
import sqlalchemy as sa

from config import sqlalchemy_url


def _plain(url: str) -> str:
    """`url` as libpq takes it (no SQLAlchemy driver suffix)."""
    return sa.make_url(sqlalchemy_url(url)).set(drivername="postgresql").render_as_string(False)


def database_url(server_url: str, name: str) -> str:
    """The URL of database `name` on the server `server_url` names."""
    url = sa.make_url(sqlalchemy_url(server_url)).set(database=name)
    return url.render_as_string(hide_password=False)


def database_exists(server_url: str, name: str) -> bool:
    """Whether the server holds database `name`."""
    with psycopg.connect(_plain(server_url), autocommit=True) as connection:
        query = "SELECT 1 FROM pg_database WHERE datname = %s"
        return connection.execute(query, (name,)).fetchone() is not None


def recreate_database(server_url: str, name: str) -> None:
    """Drop database `name` if it exists, and create it empty."""
    with psycopg.connect(_plain(server_url), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def drop_database(server_url: str, name: str) -> None:
    """Drop database `name` if it exists."""
    with psycopg.connect(_plain(server_url), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_mb(url: str) -> float:
    """The database's size on disk, in MB."""
    with psycopg.connect(_plain(url)) as connection:
        size = connection.execute("SELECT pg_database_size(current_database())").fetchone()
        return round(size[0] / 1e6, 1)


def floor_fetch(url: str) -> tuple[Callable[[list[str]], dict], Callable[[], None]]:
    """The floor's look-up on PostgreSQL (psycopg, one array parameter), and how to close it."""
    connection = psycopg.connect(_plain(url), autocommit=True)

    def fetch(keys: list[str]) -> dict[str, str]:
        query = "SELECT pair_key, serialized FROM node_versions WHERE pair_key = ANY(%s)"
        return dict(connection.execute(query, (keys,)).fetchall())

    return fetch, connection.close
