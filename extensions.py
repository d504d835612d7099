"""Unbound Flask extensions, bound to an app by the factory."""

from flask_cors import CORS

from models.base import db

# The registry API is public and read-only: browsers on any ComfyUI page may call it.
cors = CORS()

__all__ = ["cors", "db"]
