"""Uploading an accepted export to the URL Teams gives (a OneDrive upload session)."""

from __future__ import annotations

import aiohttp

UPLOAD_TIMEOUT_SECONDS = 60.0  # per attempt: a connection error is tried once more


class UploadFailed(Exception):
    """The bytes did not reach the upload URL Teams gave (refused, or unreachable twice)."""


async def upload(url: str, data: bytes, timeout: float | None = None) -> None:
    """PUT the whole file to an accepted consent's `uploadUrl` (a OneDrive upload session) in
    one range, within `timeout` seconds a try (`UPLOAD_TIMEOUT_SECONDS`). A connection error
    is tried once more; a refusal is not."""
    timeout = UPLOAD_TIMEOUT_SECONDS if timeout is None else timeout
    size = len(data)
    headers = {"Content-Length": str(size)}
    if size:
        headers["Content-Range"] = f"bytes 0-{size - 1}/{size}"
    last: Exception | None = None
    for _attempt in range(2):
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
                if hasattr(session, "_retry_connection"):
                    # aiohttp (3.10+) silently sends a PUT again when the server disconnects:
                    # the retry is ours alone, so that "once more" means once.
                    session._retry_connection = False
                async with session.put(url, data=data, headers=headers) as resp:
                    if resp.status >= 300:
                        raise UploadFailed(f"upload refused: HTTP {resp.status}")
                    return
        except aiohttp.ClientConnectionError as exc:
            last = exc
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise UploadFailed(f"upload failed: {exc!r}") from exc
    raise UploadFailed(f"upload failed twice: {last!r}") from last
