"""`python -m adapters.teams.package`: the Teams app package (manifest and icons, zipped).

    python -m adapters.teams.package --app-id <MICROSOFT_APP_ID> [--out outputs-teams.zip]
        [--developer-name NAME --website-url URL --privacy-url URL --terms-url URL]

Upload the zip in Teams (Apps → Manage your apps → Upload an app) or in the Teams admin
center. The app id defaults to MICROSOFT_APP_ID; it is both the app's id and its bot's.
The developer fields are what Teams shows on the app's About page; its placeholders are
accepted for an app uploaded to your own tenant, an organisation's app catalogue wants
yours.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import struct
import sys
import zipfile
import zlib
from pathlib import Path
from typing import Any

MANIFEST_DIR = Path(__file__).parent / "manifest"
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
ACCENT = (0x2E, 0x6B, 0x5E)
DEVELOPER_FIELDS = {
    "name": "name",
    "website_url": "websiteUrl",
    "privacy_url": "privacyUrl",
    "terms_url": "termsOfUseUrl",
}
PLACEHOLDER_HOST = "https://example.com/"


def manifest(
    app_id: str, version: str | None = None, developer: dict[str, str] | None = None
) -> dict[str, Any]:
    """The manifest for `app_id`; `developer` overrides the About page's fields (keys of
    DEVELOPER_FIELDS; URLs must be https, as Teams requires)."""
    text = (MANIFEST_DIR / "manifest.json").read_text(encoding="utf-8").replace("{{APP_ID}}", app_id)
    data: dict[str, Any] = json.loads(text)
    if version:
        data["version"] = version
    for key, value in (developer or {}).items():
        if key != "name" and not value.startswith("https://"):
            raise ValueError(f"--{key.replace('_', '-')} must be an https:// URL, not {value!r}")
        data["developer"][DEVELOPER_FIELDS[key]] = value
    return data


def placeholders(data: dict[str, Any]) -> list[str]:
    """The developer URLs still pointing at the placeholder site."""
    return [k for k, v in data["developer"].items() if str(v).startswith(PLACEHOLDER_HOST)]


def png(size: int, pixel: Any) -> bytes:
    """A minimal RGBA PNG; `pixel(x, y)` gives each pixel's (r, g, b, a)."""
    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(size)) for y in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def _check_mark(x: float, y: float) -> bool:
    """A tick across the unit square: what the app is about, produced and counted."""

    def near(ax: float, ay: float, bx: float, by: float) -> bool:
        t = max(
            0.0, min(1.0, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2))
        )
        return (x - ax - t * (bx - ax)) ** 2 + (y - ay - t * (by - ay)) ** 2 < 0.075**2

    return near(0.25, 0.52, 0.43, 0.70) or near(0.43, 0.70, 0.76, 0.32)


def color_icon() -> bytes:
    """192×192, full colour: a white tick on the accent colour."""
    n = 192
    return png(n, lambda x, y: (255, 255, 255, 255) if _check_mark(x / n, y / n) else (*ACCENT, 255))


def outline_icon() -> bytes:
    """32×32, white on transparent, as Teams requires."""
    n = 32
    return png(n, lambda x, y: (255, 255, 255, 255) if _check_mark(x / n, y / n) else (0, 0, 0, 0))


def build(
    app_id: str, out: Path, version: str | None = None, developer: dict[str, str] | None = None
) -> Path:
    if not GUID.match(app_id):
        raise ValueError(f"the app id must be the bot's Microsoft App ID (a GUID), not {app_id!r}")
    data = manifest(app_id, version, developer)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", json.dumps(data, indent=2, ensure_ascii=False))
        z.writestr("color.png", color_icon())
        z.writestr("outline.png", outline_icon())
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m adapters.teams.package", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--app-id", default=os.environ.get("MICROSOFT_APP_ID", ""), help="MICROSOFT_APP_ID")
    parser.add_argument("--out", default="outputs-teams.zip", type=Path)
    parser.add_argument("--version", default=None, help="the app version Teams shows (default 0.1.0)")
    parser.add_argument("--developer-name", dest="name", help="who publishes the app (default Outputs)")
    parser.add_argument("--website-url", help="https URL of the app's or your organisation's site")
    parser.add_argument("--privacy-url", help="https URL of the privacy statement")
    parser.add_argument("--terms-url", help="https URL of the terms of use")
    args = parser.parse_args(argv)
    developer = {k: getattr(args, k) for k in DEVELOPER_FIELDS if getattr(args, k)}
    try:
        path = build(args.app_id, args.out, args.version, developer)
    except ValueError as exc:
        print(f"{parser.prog}: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path}: upload it in Teams (Apps → Manage your apps → Upload an app)")
    left = placeholders(manifest(args.app_id, args.version, developer))
    if left:
        print(
            f"note: {', '.join(left)} still point at {PLACEHOLDER_HOST}: fine for your own tenant; "
            "set --website-url, --privacy-url and --terms-url before publishing to an app catalogue",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
