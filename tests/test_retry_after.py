"""The one Retry-After reader both platforms' posters use."""

from __future__ import annotations

from adapters.retry_after import retry_after

NOW = 1_445_412_480.0  # Wed, 21 Oct 2015 07:28:00 GMT


def test_seconds_or_an_http_date_in_any_header_case() -> None:
    assert retry_after({"Retry-After": "12"}, 30) == 12
    assert retry_after({"retry-after": ["7"]}, 30) == 7  # slack-sdk keeps values as lists
    assert retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:05 GMT"}, 30, now=lambda: NOW) == 5


def test_never_negative_and_the_default_when_unusable() -> None:
    assert retry_after({"Retry-After": "Wed, 21 Oct 2015 07:27:00 GMT"}, 30, now=lambda: NOW) == 0
    assert retry_after({"Retry-After": "-3"}, 30) == 0
    for headers in (None, {}, {"Retry-After": ""}, {"Retry-After": "soon"}, {"retry-after": []}):
        assert retry_after(headers, 30) == 30
