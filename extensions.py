"""Unbound Flask extensions, bound to an app by the factory (CORS: blueprints/cors.py)."""

from flask_migrate import Migrate

from models.base import db
from services.schema import MIGRATIONS_DIR

# `flask db ...`: SQLite cannot ALTER most things in place, so migrations copy tables (batch).
migrate = Migrate(directory=MIGRATIONS_DIR, compare_type=True, render_as_batch=True)

__all__ = ["db", "migrate"]
