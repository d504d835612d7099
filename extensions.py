"""Unbound Flask extensions, bound to an app by the factory."""

from flask_cors import CORS
from flask_migrate import Migrate

from models.base import db
from services.schema import MIGRATIONS_DIR

# The registry API is public and read-only: browsers on any ComfyUI page may call it.
cors = CORS()
# `flask db ...`: SQLite cannot ALTER most things in place, so migrations copy tables (batch).
migrate = Migrate(directory=MIGRATIONS_DIR, compare_type=True, render_as_batch=True)

__all__ = ["cors", "db", "migrate"]
