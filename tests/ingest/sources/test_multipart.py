"""The MJPEG multipart parser on the boundary variants cameras send, in any chunking."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bus.vocabulary import ProbeFailure
from ingest.sources.failures import ProbeError
from ingest.sources.multipart import MultipartJpegParser, boundary_from_content_type

JPEGS = [b"\xff\xd8" + bytes([n]) * (50 + n) + b"\r\n--x\xff\xd9" for n in range(3)]


def _stream(
    delimiter: bytes, newline: bytes, *, length: str = "right", headers: bool = True
) -> bytes:
    out = b""
    for jpeg in JPEGS:
        out += delimiter + newline
        if headers:
            out += b"Content-Type: image/jpeg" + newline
            if length == "right":
                out += b"Content-Length: %d" % len(jpeg) + newline
            elif length == "short":
                out += b"Content-Length: %d" % (len(jpeg) - 5) + newline
            elif length == "long":
                out += b"Content-Length: %d" % (len(jpeg) + 40) + newline
            out += newline
        out += jpeg + newline
    return out


def _parse(boundary: str | None, data: bytes, cuts: list[int] | None = None) -> list[bytes]:
    parser = MultipartJpegParser(boundary)
    points = sorted({0, len(data), *(cut % (len(data) + 1) for cut in cuts or [])})
    parts: list[bytes] = []
    for start, end in itertools.pairwise(points):
        parts.extend(parser.feed(data[start:end]))
    # The last part is complete once the next delimiter (or the closing one) arrives.
    parts.extend(parser.feed(b"--" + (boundary or "frame").lstrip("-").encode() + b"--\r\n"))
    return parts


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("multipart/x-mixed-replace;boundary=frame", "frame"),
        ("multipart/x-mixed-replace; boundary=--myboundary", "myboundary"),
        ('multipart/x-mixed-replace; boundary="quoted"; charset=x', "quoted"),
        ("multipart/x-mixed-replace", None),
    ],
)
def test_boundary_from_content_type(content_type: str, expected: str | None) -> None:
    assert boundary_from_content_type(content_type) == expected


@pytest.mark.parametrize(
    ("declared", "delimiter", "newline", "length", "headers"),
    [
        ("frame", b"--frame", b"\r\n", "right", True),
        ("frame", b"--frame", b"\r\n", "none", True),
        ("frame", b"--frame", b"\n", "none", True),
        ("--frame", b"--frame", b"\r\n", "right", True),
        ("frame", b"----frame", b"\r\n", "right", True),
        (None, b"--frame", b"\r\n", "right", True),
        ("declared-but-unused", b"--frame", b"\r\n", "none", True),
        ("frame", b"--frame", b"\r\n", "short", True),
        ("frame", b"--frame", b"\r\n", "long", True),
        ("frame", b"--frame", b"\r\n", "none", False),
    ],
)
def test_variants_yield_every_jpeg(
    declared: str | None, delimiter: bytes, newline: bytes, length: str, headers: bool
) -> None:
    data = _stream(delimiter, newline, length=length, headers=headers)
    parser = MultipartJpegParser(declared)
    parts = parser.feed(data) + parser.feed(delimiter + b"--" + newline)
    assert parts == JPEGS
    assert parser.finished


@pytest.mark.parametrize("length", ["right", "none"])
def test_the_last_whole_part_is_kept_when_the_body_ends_undelimited(length: str) -> None:
    parser = MultipartJpegParser("frame")
    parts = parser.feed(_stream(b"--frame", b"\r\n", length=length))
    assert parts + parser.finish() == JPEGS
    cut = MultipartJpegParser("frame")
    parts = cut.feed(_stream(b"--frame", b"\r\n", length="none")[:-10])
    assert parts + cut.finish() == JPEGS[:2]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 2000), max_size=12))
def test_any_chunking_gives_the_same_parts(cuts: list[int]) -> None:
    data = _stream(b"--frame", b"\r\n", length="none")
    assert _parse("frame", data, cuts) == JPEGS


def test_a_stream_without_parts_is_refused_once_over_the_limit() -> None:
    parser = MultipartJpegParser("frame", max_part_bytes=1000)
    with pytest.raises(ProbeError) as raised:
        parser.feed(b"--frame\r\n\r\n" + b"\xff\xd8" + bytes(2000))
    assert raised.value.code is ProbeFailure.NOT_AN_IMAGE
    assert MultipartJpegParser(None).finish() == []
    no_boundary = MultipartJpegParser(None)
    with pytest.raises(ProbeError):
        no_boundary.feed(b"HTTP junk\r\nmore\r\n")
