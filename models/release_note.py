"""Release notes: what upstream's GET /releases tells the ComfyUI frontend about each release."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db
from models.columns import status_enum


class ReleaseProject(enum.StrEnum):
    """The projects upstream publishes release notes for (GetReleaseNotes' `project`)."""

    COMFYUI = "comfyui"
    COMFYUI_FRONTEND = "comfyui_frontend"
    DESKTOP = "desktop"
    CLOUD = "cloud"


class ReleaseLocale(enum.StrEnum):
    """The languages upstream writes release notes in (GetReleaseNotes' `locale`)."""

    EN = "en"
    ES = "es"
    FR = "fr"
    JA = "ja"
    KO = "ko"
    RU = "ru"
    ZH = "zh"


class ReleaseAttention(enum.StrEnum):
    """How strongly the frontend draws attention to a release (ReleaseNote's `attention`)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


# The locale a note in no other language is written in, and served in place of a missing one.
FALLBACK_LOCALE = ReleaseLocale.EN


class ReleaseNote(db.Model):
    """One release note in one language, keyed by upstream's own id for it."""

    __tablename__ = "release_notes"
    # GET /releases reads one project's notes in one or two locales.
    __table_args__ = (sa.Index("ix_release_notes_project_locale", "project", "locale"),)

    # Upstream's integer id (each language of a note has its own).
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    project: Mapped[ReleaseProject] = mapped_column(status_enum(ReleaseProject))
    locale: Mapped[ReleaseLocale] = mapped_column(status_enum(ReleaseLocale))
    version: Mapped[str] = mapped_column(sa.String(255))
    attention: Mapped[ReleaseAttention] = mapped_column(status_enum(ReleaseAttention))
    # Markdown, stored and served exactly as it came: the mirror never renders it.
    content: Mapped[str] = mapped_column(sa.Text)
    published_at: Mapped[datetime] = mapped_column(sa.DateTime)
