"""Reading /metrics the way Prometheus does (prometheus-client's own parser)."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.slack.conftest import Slack


async def scrape(slack: Slack) -> str:
    resp = await slack.http.get("/metrics")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/plain")
    return await resp.text()


def value(text: str, name: str, **labels: str) -> float:
    """The sample `name` with exactly these labels (0.0 when absent)."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return float(s.value)
    return 0.0


def total(text: str, name: str, **labels: str) -> float:
    """The sum of `name` over every sample whose labels include these."""
    out = 0.0
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                out += float(s.value)
    return out
