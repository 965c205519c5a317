"""Incremental parser for MJPEG over HTTP (multipart/x-mixed-replace).

Cameras bend the multipart rules in several ways, all seen in the field and all
accepted here: the declared boundary quoted or already carrying the leading `--`;
a stream whose delimiter differs from the declared one (the stream wins); parts
with or without Content-Length, or with a wrong one; LF instead of CRLF; no blank
line between the delimiter and the JPEG. Pure: bytes in, JPEG parts out.
"""

from __future__ import annotations

import re

from bus.vocabulary import ProbeFailure
from ingest.sources.failures import ProbeError

_BOUNDARY_PARAM = re.compile(r"""boundary\s*=\s*(?:"([^"]*)"|([^;\s]+))""", re.IGNORECASE)
_CONTENT_LENGTH = re.compile(rb"^content-length\s*:\s*(\d+)\s*$", re.IGNORECASE | re.MULTILINE)
_EOI = b"\xff\xd9"
_SOI = b"\xff\xd8"
_TRAILING = b"\r\n-"


def boundary_from_content_type(content_type: str) -> str | None:
    """The boundary token of a multipart Content-Type header, without quotes or leading dashes."""
    match = _BOUNDARY_PARAM.search(content_type)
    if match is None:
        return None
    token = (match.group(1) or match.group(2) or "").lstrip("-")
    return token or None


def _header_end(buffer: bytes | bytearray, start: int) -> tuple[int, int] | None:
    """(end of headers, start of body) after a delimiter line, or None if not all arrived."""
    if buffer[start : start + 2] == _SOI:
        return start, start
    candidates = [
        (index, index + len(blank))
        for blank in (b"\r\n\r\n", b"\n\n")
        if (index := buffer.find(blank, start)) >= 0
    ]
    if buffer.startswith(b"\r\n", start):
        candidates.append((start, start + 2))
    elif buffer.startswith(b"\n", start):
        candidates.append((start, start + 1))
    return min(candidates) if candidates else None


class MultipartJpegParser:
    """Feed it the body as it arrives; it returns every complete part's bytes."""

    def __init__(self, boundary: str | None, max_part_bytes: int = 8 * 1024 * 1024) -> None:
        self._token = boundary.encode("latin-1").lstrip(b"-") if boundary else None
        self._max_part_bytes = max_part_bytes
        self._buffer = bytearray()
        self._checked_first_line = False
        self.finished = False

    def feed(self, data: bytes) -> list[bytes]:
        if self.finished:
            return []
        self._buffer += data
        if not self._checked_first_line and not self._adopt_stream_boundary():
            self._check_size()
            return []
        parts: list[bytes] = []
        while (part := self._next_part()) is not None:
            parts.append(part)
        if not self.finished:
            self._check_size()
        return parts

    def finish(self) -> list[bytes]:
        """At the end of the body: the last part, when it arrived whole but undelimited."""
        self.finished = True
        if self._token is None:
            return []
        buffer, self._buffer = self._buffer, bytearray()
        delimiter = self._delimiter()
        at = buffer.find(delimiter)
        line_end = buffer.find(b"\n", at) if at >= 0 else -1
        bounds = _header_end(buffer, line_end + 1) if line_end >= 0 else None
        if bounds is None:
            return []
        body = bytes(buffer[bounds[1] :]).rstrip(_TRAILING)
        return [body] if body.startswith(_SOI) and body.endswith(_EOI) else []

    def _adopt_stream_boundary(self) -> bool:
        """Take the delimiter from the stream's first line when the header's is absent or wrong."""
        stripped = self._buffer.lstrip()
        newline = stripped.find(b"\n")
        if newline < 0:
            return False
        self._checked_first_line = True
        first = bytes(stripped[:newline]).strip()
        if first.startswith(b"--") and (self._token is None or self._token not in first):
            self._token = first.lstrip(b"-").rstrip(b"-") or None
        if self._token is None:
            raise ProbeError(ProbeFailure.NOT_AN_IMAGE, "MJPEG stream without a part boundary")
        return True

    def _delimiter(self) -> bytes:
        assert self._token is not None
        return b"--" + self._token

    def _next_part(self) -> bytes | None:
        buffer = self._buffer
        delimiter = self._delimiter()
        at = buffer.find(delimiter)
        if at < 0:
            return None
        line_end = buffer.find(b"\n", at)
        if line_end < 0:
            return None
        if bytes(buffer[at + len(delimiter) : line_end]).strip().startswith(b"--"):
            self.finished = True  # closing delimiter: --token--
            del buffer[:]
            return None
        bounds = _header_end(buffer, line_end + 1)
        if bounds is None:
            return None
        headers_end, body_start = bounds
        length_match = _CONTENT_LENGTH.search(bytes(buffer[line_end + 1 : headers_end]))
        if length_match is not None:
            # A wrong Content-Length (seen on cheap cameras) would cut the JPEG or run into
            # the next part; then the next delimiter is the truth.
            body_end = body_start + int(length_match.group(1))
            if buffer.find(delimiter, body_start, body_end) < 0:
                if len(buffer) < body_end:
                    return None
                body = bytes(buffer[body_start:body_end])
                if body.endswith(_EOI):
                    del buffer[:body_end]
                    return body
        following = buffer.find(delimiter, body_start)
        if following < 0:
            return None
        body = bytes(buffer[body_start:following]).rstrip(_TRAILING)
        del buffer[:following]
        return body

    def _check_size(self) -> None:
        if len(self._buffer) > self._max_part_bytes:
            raise ProbeError(
                ProbeFailure.NOT_AN_IMAGE,
                f"no complete MJPEG part within {self._max_part_bytes} B",
            )
