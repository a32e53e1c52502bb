"""The layers' import rules (docs/ARCHITECTURE.md), checked on every module's source.

- `bot/` is the engine: it imports no other layer of ours and no framework (platform SDKs,
  HTTP, SQL, the scheduler library, metrics, templates).
- `adapters/` translate: they reach storage only through ports declared in `bot/`, and never
  import the composition root.
- `storage/` implements ports: it imports neither adapters nor the composition root.
- `app/` is the composition root: the one place that imports every layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORKS = frozenset(
    {
        "slack_bolt",
        "slack_sdk",
        "botbuilder",
        "botframework",
        "msal",
        "aiohttp",
        "httpx",
        "requests",
        "sqlalchemy",
        "alembic",
        "asyncpg",
        "aiosqlite",
        "apscheduler",
        "prometheus_client",
        "jinja2",
        "markupsafe",
    }
)
# package → the top-level modules it must not import
RULES: dict[str, frozenset[str]] = {
    "bot": FRAMEWORKS | {"adapters", "storage", "app", "migrations"},
    "adapters": frozenset({"storage", "app", "migrations"}),
    "storage": frozenset({"adapters", "app"}),
}


def imported_modules(path: Path) -> set[str]:
    """Every absolute module a file imports, at the top or inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def offenders(package: str) -> list[str]:
    files = sorted((ROOT / package).rglob("*.py"))
    assert len(files) > 5, f"{package}/ has hardly any modules: is the path right?"
    forbidden = RULES[package]
    return [
        f"{f.relative_to(ROOT)}: {m}"
        for f in files
        for m in sorted(imported_modules(f))
        if m.split(".")[0] in forbidden
    ]


@pytest.mark.parametrize("package", sorted(RULES))
def test_layer_imports_only_what_its_rule_allows(package: str) -> None:
    assert offenders(package) == []


def test_no_relative_imports_hide_from_the_rule() -> None:
    relative = [
        str(f.relative_to(ROOT))
        for package in RULES
        for f in (ROOT / package).rglob("*.py")
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.level > 0
    ]
    assert relative == []


def test_the_rule_would_catch_an_offender(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\ndef f():\n    from sqlalchemy import select\n    import storage.models\n")
    found = imported_modules(bad)
    assert {"sqlalchemy", "storage.models"} <= found
    assert any(m.split(".")[0] in RULES["bot"] for m in found)
    assert any(m.split(".")[0] in RULES["adapters"] for m in found)
