"""What the fuzz tests of every platform share: a real server on an event loop of its own
(so that Hypothesis can drive it from a plain test), mutations of recorded payloads, a
catcher of ERROR log lines, and a blocking POST."""

from __future__ import annotations

import asyncio
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

from hypothesis import strategies as st

ODD = ["\x00", "\ud800", "a\x00b", "", " ", "C111", "1599529504.000400", "abc", "99999999999999999999"]
JUNK = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(ODD),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


class LoopThread:
    """An event loop running in a thread of its own; `run` waits for a coroutine on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Any, timeout: float = 120) -> Any:
        done: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return done.result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


class Errors(logging.Handler):
    """Every ERROR (and worse) logged anywhere while attached: each one is a bug of ours."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(f"{record.name}: {record.getMessage()}")

    def __enter__(self) -> Errors:
        logging.getLogger().addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger().removeHandler(self)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON value, the value itself first."""
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from paths(v, (*prefix, i))


def mutate(payload: Any, path: tuple[Any, ...], op: str, junk: Any) -> Any:
    """`payload` with the value at `path` replaced by `junk` (op "replace") or removed."""
    if not path:
        return junk if op == "replace" else payload
    parent = payload
    for key in path[:-1]:
        parent = parent[key]
    if op == "delete":
        del parent[path[-1]]
    else:
        parent[path[-1]] = junk
    return payload


def mutated(draw: st.DrawFn, payload: Any, times: int = 4) -> Any:
    """1 to `times` random replacements or removals in `payload` (changed in place)."""
    for _ in range(draw(st.integers(min_value=1, max_value=times))):
        path = draw(st.sampled_from(list(paths(payload))))
        op = draw(st.sampled_from(["replace", "replace", "delete"])) if path else "replace"
        payload = mutate(payload, path, op, draw(JUNK))
    return payload


def post(url: str, body: str, content_type: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(
        url, data=body.encode("utf-8", "surrogatepass"), headers={"Content-Type": content_type, **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)
