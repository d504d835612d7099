"""The application factory and the settings it reads from the environment."""

import pytest
import sqlalchemy as sa
from flask import Flask

from app import create_app
from config import sqlalchemy_url
from extensions import db


def test_factory_is_not_in_testing_mode_by_default(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'default.db'}")
    assert not create_app().testing
    assert create_app({"TESTING": True}).testing


def test_database_url_selects_the_database_and_the_schema_is_created(monkeypatch, tmp_path):
    target = tmp_path / "chosen.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{target}")
    app = create_app()
    assert target.exists()
    with app.app_context():
        tables = set(sa.inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert {"nodes", "node_versions", "publishers", "import_records"} <= tables


def test_default_database_is_a_sqlite_file_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    # The instance folder moved under tmp_path: the repository's own mirror is never touched.
    instance = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(instance))
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": None})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'mirror.db'}"
    assert (instance / "mirror.db").exists()


@pytest.mark.parametrize(
    "written,used",
    [
        ("postgres://user@host/db", "postgresql+psycopg://user@host/db"),
        (
            "postgresql://user:pw@host:5433/db?sslmode=require",
            "postgresql+psycopg://user:pw@host:5433/db?sslmode=require",
        ),
        ("postgresql+psycopg://user@host/db", "postgresql+psycopg://user@host/db"),
        ("sqlite:///mirror.db", "sqlite:///mirror.db"),
    ],
)
def test_database_url_is_used_as_hosting_platforms_write_it(written, used):
    assert sqlalchemy_url(written) == used


def test_a_postgres_database_url_selects_psycopg_3():
    assert sa.make_url(sqlalchemy_url("postgres://user@host/db")).get_dialect().driver == "psycopg"


@pytest.mark.parametrize(
    "variable,setting",
    [("MIRROR_BULK_MAX_ITEMS", "BULK_MAX_ITEMS"), ("MIRROR_MAX_BODY_BYTES", "MAX_CONTENT_LENGTH")],
)
def test_limits_come_from_the_environment(monkeypatch, tmp_path, variable, setting):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    monkeypatch.setenv(variable, "123")
    assert create_app().config[setting] == 123


def test_a_malformed_setting_fails_naming_the_variable(monkeypatch):
    monkeypatch.setenv("MIRROR_BULK_MAX_ITEMS", "lots")
    with pytest.raises(RuntimeError, match="MIRROR_BULK_MAX_ITEMS"):
        create_app()


def test_pull_through_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    monkeypatch.setenv("MIRROR_PULL_THROUGH", "https://api.comfy.org/")
    monkeypatch.setenv("MIRROR_PULL_THROUGH_MISS_TTL", "0")
    monkeypatch.setenv("MIRROR_PULL_THROUGH_TIMEOUT", "2.5")
    app = create_app()
    assert app.config["PULL_THROUGH"] == "https://api.comfy.org"
    assert (app.config["PULL_THROUGH_MISS_TTL"], app.config["PULL_THROUGH_TIMEOUT"]) == (0, 2.5)
    assert "pull_through" in app.extensions


def test_pull_through_is_off_by_default(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    app = create_app()
    assert app.config["PULL_THROUGH"] is None
    assert "pull_through" not in app.extensions


@pytest.mark.parametrize(
    "variable,value",
    [
        ("MIRROR_PULL_THROUGH", "api.comfy.org"),
        ("MIRROR_PULL_THROUGH", "ftp://api.comfy.org"),
        ("MIRROR_PULL_THROUGH_MISS_TTL", "soon"),
        ("MIRROR_PULL_THROUGH_MISS_TTL", "-1"),
        ("MIRROR_PULL_THROUGH_TIMEOUT", "0"),
        ("MIRROR_PULL_THROUGH_TIMEOUT", "inf"),
    ],
)
def test_a_bad_pull_through_setting_fails_naming_the_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(RuntimeError, match=variable):
        create_app()
