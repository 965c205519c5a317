"""Credentials stay out of URLs, reprs and errors."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from ingest.sources import Credentials, Sample, describe_url
from ingest.sources.credentials import require_bare_url, with_userinfo


def test_repr_and_str_hide_both_fields() -> None:
    credentials = Credentials.of("admin", "Hunter2")
    assert "Hunter2" not in repr(credentials)
    assert "Hunter2" not in str(credentials)
    assert "admin" not in repr(credentials)
    with pytest.raises(ValueError, match="user name"):
        Credentials.of("", "x")


def test_userinfo_is_percent_encoded_for_libraries_that_need_it() -> None:
    url = with_userinfo("rtsp://10.0.0.5:554/Streaming/101", Credentials.of("ad:min", "p@ss/w:rd"))
    assert url == "rtsp://ad%3Amin:p%40ss%2Fw%3Ard@10.0.0.5:554/Streaming/101"
    assert with_userinfo("rtsp://10.0.0.5/x", None) == "rtsp://10.0.0.5/x"
    assert "p%40ss" not in describe_url(url)


def test_describe_url_masks_user_info_and_query_secrets() -> None:
    assert describe_url("http://a:b@10.0.0.1/snap.jpg") == "http://***@10.0.0.1/snap.jpg"
    described = describe_url("http://10.0.0.1/cgi-bin/snapshot.cgi?user=admin&password=Hunter2")
    assert "Hunter2" not in described


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://10.0.0.1/x", "must start with"),
        ("http:///snap.jpg", "has no host"),
        ("http://10.0.0.1:port/x", "invalid camera URL"),
        ("http://u:Hunter2@10.0.0.1/x", "carries credentials"),
    ],
)
def test_bad_urls_are_refused_clearly(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        require_bare_url(url, ("http", "https"))
    assert "Hunter2" not in str(raised.value)


def test_sample_needs_an_aware_time_and_is_read_only() -> None:
    gray = np.zeros((9, 16), np.uint8)
    with pytest.raises(ValueError, match="timezone-aware"):
        Sample(gray, None, datetime(2026, 1, 1), (16, 9))
    sample = Sample(gray, None, datetime(2026, 1, 1, tzinfo=UTC), (16, 9), jpeg=b"\xff\xd8")
    assert not sample.gray.flags.writeable
    assert "jpeg_bytes=2" in repr(sample)
    assert sample.reduced.source_size == (16, 9)
