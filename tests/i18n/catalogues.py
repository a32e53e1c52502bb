"""Helpers shared by the i18n tests: the catalogue script, loaded as a module, and the catalogues."""

from __future__ import annotations

import importlib.util
import re
import string
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

from babel.messages.catalog import Catalog, Message

ROOT = Path(__file__).resolve().parents[2]


@cache
def script() -> ModuleType:
    """`scripts/update_catalogues.py` (scripts/ is not a package)."""
    path = ROOT / "scripts" / "update_catalogues.py"
    spec = importlib.util.spec_from_file_location("update_catalogues", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@cache
def template() -> Catalog:
    uc = script()
    return uc.read(uc.TEMPLATE)


@cache
def catalogue(lang: str) -> Catalog:
    uc = script()
    return uc.read(uc.po_path(lang), lang)


def messages(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]


def forms(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def placeholders(text: str) -> set[str]:
    """`{name}` fields of a str.format template (raises on a malformed one)."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


_COMMAND = re.compile(r"\{prefix\} ([a-z]+(?: (?:add|remove))?)")


def command_words(text: str) -> list[str]:
    """The command keywords typed after `{prefix}`: they stay English in every language."""
    return _COMMAND.findall(text)
