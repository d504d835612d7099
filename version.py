"""The mirror's software version, read once from pyproject.toml, its single source of truth."""

import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent / "pyproject.toml"

with PYPROJECT.open("rb") as _file:
    __version__: str = tomllib.load(_file)["project"]["version"]
