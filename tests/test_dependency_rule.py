"""bot/ is the engine: it never imports a platform SDK, aiohttp or SQLAlchemy."""

from __future__ import annotations

import ast
from pathlib import Path

FORBIDDEN = ("slack_bolt", "slack_sdk", "botbuilder", "aiohttp", "sqlalchemy", "asyncpg", "aiosqlite")
BOT = Path(__file__).resolve().parents[1] / "bot"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def test_bot_imports_no_platform_sdk_http_or_sql():
    files = list(BOT.rglob("*.py"))
    assert len(files) > 10
    offenders = [
        f"{f.relative_to(BOT.parent)}: {m}"
        for f in files
        for m in imported_modules(f)
        if m.split(".")[0] in FORBIDDEN
    ]
    assert offenders == []


def test_the_rule_would_catch_an_offender(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom sqlalchemy import select\n")
    assert "sqlalchemy" in imported_modules(bad)
