"""The Teams app package: manifest, icons, zip."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

import pytest

from adapters.teams.package import main

APP_ID = "5f8d6bd5-2c1b-4e0f-9d43-1b3b6f1f2a11"


def size_of(png: bytes) -> tuple[int, int]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_the_package_holds_the_manifest_and_both_icons(tmp_path: Path) -> None:
    out = tmp_path / "outputs.zip"
    assert main(["--app-id", APP_ID, "--out", str(out), "--version", "1.2.3"]) == 0
    with zipfile.ZipFile(out) as z:
        assert sorted(z.namelist()) == ["color.png", "manifest.json", "outline.png"]
        m = json.loads(z.read("manifest.json"))
        assert size_of(z.read("color.png")) == (192, 192)
        assert size_of(z.read("outline.png")) == (32, 32)
    assert m["id"] == APP_ID and m["version"] == "1.2.3"
    [bot] = m["bots"]
    assert bot["botId"] == APP_ID and sorted(bot["scopes"]) == ["groupChat", "personal", "team"]
    assert bot["supportsFiles"] is True  # `export`: the file consent card needs it
    [command] = m["composeExtensions"][0]["commands"]
    assert command["type"] == "action" and command["context"] == ["message"] and command["fetchTask"]
    rsc = {p["name"] for p in m["authorization"]["permissions"]["resourceSpecific"]}
    assert "TeamMember.Read.Group" in rsc  # team owners, read from Graph
    assert m["webApplicationInfo"]["id"] == APP_ID
    assert "{{" not in json.dumps(m)


def test_an_app_id_that_is_not_a_guid_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--app-id", "", "--out", str(tmp_path / "x.zip")]) == 2
    assert "GUID" in capsys.readouterr().err
    assert not (tmp_path / "x.zip").exists()
