"""The Teams app package's manifest against Microsoft's own schema for its version."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import jsonschema
import pytest

from adapters.teams import package

SCHEMA = Path(__file__).parent / "schema" / "MicrosoftTeams.v1.16.schema.json"
APP_ID = "8f0f3c52-3c1e-4b7e-9a4f-2d3c4b5a6e7f"


def _validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def _errors(manifest: dict[str, object]) -> list[str]:
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in _validator().iter_errors(manifest)]


def test_the_schema_is_the_one_the_manifest_names() -> None:
    manifest = package.manifest(APP_ID)
    assert manifest["manifestVersion"] == "1.16"
    assert str(manifest["$schema"]).endswith("/v1.16/MicrosoftTeams.schema.json")


def test_the_packaged_manifest_is_valid(tmp_path: Path) -> None:
    developer = {
        "name": "Contoso Community Team",
        "website_url": "https://contoso.example/outputs",
        "privacy_url": "https://contoso.example/privacy",
        "terms_url": "https://contoso.example/terms",
    }
    out = package.build(APP_ID, tmp_path / "outputs-teams.zip", "1.2.3", developer)
    with zipfile.ZipFile(out) as z:
        manifest = json.loads(z.read("manifest.json"))
    assert _errors(manifest) == []
    assert manifest["developer"] == {
        "name": "Contoso Community Team",
        "websiteUrl": "https://contoso.example/outputs",
        "privacyUrl": "https://contoso.example/privacy",
        "termsOfUseUrl": "https://contoso.example/terms",
    }
    assert manifest["version"] == "1.2.3"


def test_the_default_manifest_is_valid_too() -> None:
    assert _errors(package.manifest(APP_ID)) == []


def test_the_schema_catches_a_broken_manifest() -> None:
    broken = package.manifest(APP_ID)
    broken["bots"][0]["scopes"] = ["everywhere"]  # type: ignore[index]
    del broken["developer"]
    assert len(_errors(broken)) >= 2


def test_developer_urls_must_be_https() -> None:
    with pytest.raises(ValueError, match="--privacy-url must be an https:// URL"):
        package.manifest(APP_ID, developer={"privacy_url": "http://contoso.example/privacy"})


def test_the_cli_says_when_placeholders_remain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert package.main(["--app-id", APP_ID, "--out", str(tmp_path / "a.zip")]) == 0
    assert "still point at https://example.com/" in capsys.readouterr().err
    args = ["--app-id", APP_ID, "--out", str(tmp_path / "b.zip"), "--website-url", "https://c.example",
            "--privacy-url", "https://c.example/p", "--terms-url", "https://c.example/t"]  # fmt: skip
    assert package.main(args) == 0
    assert "example.com" not in capsys.readouterr().err
