"""Unbound Flask extensions, bound to an app by the factory."""

from models.base import db

__all__ = ["db"]
