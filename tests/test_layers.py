"""ARCHITECTURE.md's floors, read from the source: each package imports only from the floors below it.

Imports under `if TYPE_CHECKING:` are for type hints only and never run, so they are not counted.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Lower numbers are lower floors; packages on one floor (clients, reporting) do not import each other.
FLOORS = {
    "settings": 0,
    "transforms": 1,
    "warehouse": 2,
    "clients": 3,
    "reporting": 3,
    "flows": 4,
    "wiretrace": 5,
}
PURE = {"prefect", "duckdb", "pyarrow", "httpx", "requests"}  # what a transform never imports


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


@functools.cache
def imports(path: Path) -> list[tuple[int, str]]:
    """(line, top-level package) of each import that runs in the module at `path`."""
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return found


def _modules(package: str) -> list[Path]:
    return [REPO / "settings.py"] if package == "settings" else sorted((REPO / package).rglob("*.py"))


def test_each_floor_imports_only_from_the_floors_below_it() -> None:
    wrong = [
        f"{path.relative_to(REPO)}:{line} imports {top}"
        for package, floor in FLOORS.items()
        for path in _modules(package)
        for line, top in imports(path)
        if top in FLOORS and top != package and FLOORS[top] >= floor
    ]
    assert not wrong, "\n".join(wrong)


def test_transforms_do_no_io_and_know_no_prefect() -> None:
    wrong = [
        f"{path.relative_to(REPO)}:{line} imports {top}"
        for path in _modules("transforms")
        for line, top in imports(path)
        if top in PURE
    ]
    assert not wrong, "\n".join(wrong)
    # the check reads real imports: the module that names the type only for hints is not counted
    ingest = [top for _, top in imports(REPO / "flows" / "ingest.py")]
    assert "prefect" in ingest and "wiretrace" not in ingest
