"""The structure the code keeps (docs/architecture.md): import contracts, short functions, layers/ by concern.

No database: these read the source only, so `make test` enforces them without the cluster.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("api", "maps", "layers", "gis", "bench")
MAX_LINES = 80
# Revisions are history, written once and long by nature (DDL); they are exempt.
EXEMPT = ROOT / "layers" / "migrations" / "versions"


def test_import_contracts():
    """api → maps → layers → gis, and the allowed directions between layers/ sub-packages (pyproject.toml)."""
    lint = Path(sys.executable).parent / "lint-imports"
    assert lint.exists(), "import-linter is missing from the venv: `make setup` installs the test extra"
    # --no-cache: nothing written into the work tree, and never a stale graph.
    done = subprocess.run([str(lint), "--no-cache", str(ROOT / "pyproject.toml")], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def _long_functions() -> dict[str, int]:
    """Every function (methods and nested ones included) longer than MAX_LINES, as path:name → lines."""
    found: dict[str, int] = {}
    for package in CHECKED:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.is_relative_to(EXEMPT):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    lines = node.end_lineno - node.lineno + 1  # from `def` to the last line, docstring included
                    if lines > MAX_LINES:
                        found[f"{path.relative_to(ROOT).as_posix()}:{node.name}"] = lines
    return found


def test_no_long_functions():
    """No function outside the migrations is over 80 lines: a reader should see a function whole."""
    long = _long_functions()
    assert not long, f"over {MAX_LINES} lines: {long}"


def test_layers_has_only_sub_packages():
    """Every module of layers/ lives in a sub-package by concern; each of those is a real package, so the import
    contracts see it."""
    loose = sorted(p.name for p in (ROOT / "layers").glob("*.py") if p.name != "__init__.py")
    assert not loose, f"modules directly in layers/: {loose}"
    for directory in (ROOT / "layers").rglob("*"):
        if directory.is_dir() and any(directory.glob("*.py")):
            assert (directory / "__init__.py").exists(), f"{directory.relative_to(ROOT)} is not a package"
