"""Flask stays in blueprints/ and the app: services/ reaches it through none of its imports."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(
    str(path.relative_to(ROOT).with_suffix("")).replace("/", ".")
    for path in (ROOT / "services").rglob("*.py")
)


def module_file(module: str) -> Path | None:
    """The project file of a module, or None for one installed elsewhere."""
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_modules(path: Path) -> set[str]:
    """The absolute module names one file imports (the project imports no relative ones)."""
    names = set()
    for statement in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(statement, ast.Import):
            names.update(alias.name for alias in statement.names)
        elif isinstance(statement, ast.ImportFrom) and statement.module:
            names.add(statement.module)
            names.update(f"{statement.module}.{alias.name}" for alias in statement.names)
    return names


def flask_import_chain(start: str) -> list[str] | None:
    """A chain of project modules from `start` to one importing flask, or None."""
    chains, seen = [[start]], {start}
    while chains:
        chain = chains.pop()
        for name in imported_modules(module_file(chain[-1])):
            if name == "flask" or name.startswith("flask."):
                return chain
            if name not in seen and module_file(name) is not None:
                seen.add(name)
                chains.append([*chain, name])
    return None


@pytest.mark.parametrize("module", SERVICES)
def test_no_service_module_imports_flask(module):
    assert flask_import_chain(module) is None
