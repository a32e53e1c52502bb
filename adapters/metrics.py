"""Every Prometheus metric Outputs exports, on one registry per application.

`Metrics` is a `bot.observe.Observer` (captures, digests, scheduler lag, platform API
errors and retries) and also what the HTTP middleware records requests into. A registry
per application, not prometheus-client's global one, so that tests (and a process that
builds several apps) never mix their counts.

Label values stay bounded: platforms and kinds are fixed sets or what the platforms send
(event and activity types), output types are the charters' keys, errors are Slack's
error codes or HTTP statuses. No user, channel or workspace id is a label.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

# Slack wants an ack within 3 s; the buckets are dense below that.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
LAG_BUCKETS = (0.01, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = r = registry or CollectorRegistry()
        self.requests = Counter(
            "outputs_requests",
            "Requests from the platforms (HTTP, and Slack Socket Mode envelopes), by platform, "
            "kind (command, event type, interaction or activity type) and status (as HTTP's)",
            ["platform", "kind", "status"],
            registry=r,
        )
        self.ack_seconds = Histogram(
            "outputs_ack_seconds",
            "Time from a platform request's arrival to its answer (the ack)",
            ["platform"],
            buckets=ACK_BUCKETS,
            registry=r,
        )
        self.captured = Counter(
            "outputs_deliverables_captured",
            "New deliverables recorded, by platform, output type and path (via)",
            ["platform", "type", "via"],
            registry=r,
        )
        self.digests = Counter(
            "outputs_digests", "Digests posted by the scheduler, by platform and status (sent, failed)",
            ["platform", "status"],
            registry=r,
        )
        self.api_errors = Counter(
            "outputs_platform_api_errors",
            "Errors answered by a platform's API (Slack error code or HTTP status)",
            ["platform", "error"],
            registry=r,
        )
        self.api_retries = Counter(
            "outputs_platform_api_retries",
            "Platform API calls retried, by reason (ratelimited, connection, HTTP status)",
            ["platform", "reason"],
            registry=r,
        )
        self.scheduler_lag_seconds = Histogram(
            "outputs_scheduler_lag_seconds",
            "How late each scheduler alarm fired after its scheduled time",
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.scheduler_last_lag = Gauge(
            "outputs_scheduler_last_lag_seconds", "The lag of the most recent scheduler alarm", registry=r
        )
        self.inbox_entries = Gauge(
            "outputs_inbox_entries",
            "Requests in the inbox by status: pending (kept, waiting for a worker or a retry), "
            "running, failed (given up on; kept until pruned)",
            ["status"],
            registry=r,
        )
        self.inbox_oldest_seconds = Gauge(
            "outputs_inbox_oldest_pending_seconds",
            "Age of the oldest request not yet worked (0 when there is none)",
            registry=r,
        )
        for status in ("sent", "failed"):  # present at 0 from the start, for rate() and alerts
            for platform in ("slack", "teams"):
                self.digests.labels(platform, status)

    # ---- requests (the HTTP middleware)

    def request(self, platform: str, kind: str, status: int, seconds: float) -> None:
        self.requests.labels(platform, kind, str(status)).inc()
        self.ack_seconds.labels(platform).observe(seconds)

    # ---- bot.observe.Observer

    def deliverable_captured(self, platform: str, type_key: str, via: str) -> None:
        self.captured.labels(platform, type_key, via).inc()

    def digest_finished(self, platform: str, status: str) -> None:
        self.digests.labels(platform, status).inc()

    def scheduler_lag(self, seconds: float) -> None:
        self.scheduler_lag_seconds.observe(seconds)
        self.scheduler_last_lag.set(seconds)

    def api_error(self, platform: str, error: str) -> None:
        self.api_errors.labels(platform, error[:64]).inc()

    def api_retry(self, platform: str, reason: str) -> None:
        self.api_retries.labels(platform, reason[:64]).inc()

    # ---- the inbox, read when /metrics is asked

    def inbox(self, pending: int, running: int, failed: int, oldest_seconds: float) -> None:
        for status, count in (("pending", pending), ("running", running), ("failed", failed)):
            self.inbox_entries.labels(status).set(count)
        self.inbox_oldest_seconds.set(oldest_seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
