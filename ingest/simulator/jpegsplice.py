"""Baseline JPEGs cut and joined at MCU-row boundaries, without re-encoding.

Encoded with one restart interval per MCU row, fixed quality, standard Huffman
tables and 4:2:0 sampling, every row of 16 pixel lines is an independent
entropy-coded segment closed by a restart marker RSTn (n = row mod 8). Two such
images of the same width share all their tables, so the first rows of one (an OSD
band with a ticking clock) can replace the first rows of another (a pre-encoded
picture): the simulator pays one small encode per second instead of one per request.
"""

from __future__ import annotations

import re

import cv2
import numpy as np

from ingest.simulator.fault_painter import Frame

MCU_ROW = 16
_RST = re.compile(rb"\xff[\xd0-\xd7]")
_SOS = 0xDA
_SOF0 = 0xC0
_EOI = b"\xff\xd9"


class SpliceError(ValueError):
    """A JPEG that is not laid out for splicing (no restart markers, or other tables)."""


def encode(frame: Frame, quality: int) -> bytes:
    """Baseline JPEG of a BGR frame with one restart interval per MCU row."""
    width = frame.shape[1]
    params = [
        cv2.IMWRITE_JPEG_QUALITY,
        quality,
        cv2.IMWRITE_JPEG_RST_INTERVAL,
        -(-width // MCU_ROW),
        cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
        cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420,
        cv2.IMWRITE_JPEG_OPTIMIZE,
        0,
        cv2.IMWRITE_JPEG_PROGRESSIVE,
        0,
    ]
    ok, buffer = cv2.imencode(".jpg", np.ascontiguousarray(frame), params)
    if not ok:
        raise SpliceError("JPEG encoding failed")
    return bytes(buffer)


def header_end(jpeg: bytes) -> int:
    """Offset just past the start-of-scan segment, where the entropy-coded rows begin."""
    if not jpeg.startswith(b"\xff\xd8"):
        raise SpliceError("not a JPEG (no SOI marker)")
    offset = 2
    while offset + 4 <= len(jpeg):
        if jpeg[offset] != 0xFF:
            raise SpliceError(f"corrupt JPEG header at byte {offset}")
        marker = jpeg[offset + 1]
        length = int.from_bytes(jpeg[offset + 2 : offset + 4], "big")
        offset += 2 + length
        if marker == _SOS:
            return offset
    raise SpliceError("JPEG has no start-of-scan segment")


def comparable_header(jpeg: bytes) -> bytes:
    """The header with the image height blanked: equal values mean spliceable images."""
    end = header_end(jpeg)
    header = bytearray(jpeg[:end])
    offset = 2
    while offset < end:
        marker = header[offset + 1]
        length = int.from_bytes(header[offset + 2 : offset + 4], "big")
        if marker == _SOF0:
            header[offset + 5 : offset + 7] = b"\x00\x00"
        offset += 2 + length
    return bytes(header)


def _markers(jpeg: bytes, start: int, count: int) -> list[re.Match[bytes]]:
    found: list[re.Match[bytes]] = []
    for match in _RST.finditer(jpeg, start):
        found.append(match)
        if len(found) == count:
            break
    return found


def rows_after(jpeg: bytes, rows: int) -> bytes:
    """Entropy-coded data from MCU row `rows` to the end of the image (EOI included)."""
    markers = _markers(jpeg, header_end(jpeg), rows)
    if len(markers) < rows:
        raise SpliceError(f"JPEG has fewer than {rows + 1} restart intervals")
    expected = 0xD0 + (rows - 1) % 8
    if markers[-1].group()[1] != expected:
        raise SpliceError("restart markers out of sequence")
    return jpeg[markers[-1].end() :]


def first_rows(jpeg: bytes, rows: int) -> bytes:
    """Entropy-coded data of MCU rows 0..rows-1, each closed by its restart marker."""
    start = header_end(jpeg)
    markers = _markers(jpeg, start, rows)
    if len(markers) == rows:
        return jpeg[start : markers[-1].end()]
    if len(markers) == rows - 1 and jpeg.endswith(_EOI):
        # The image is exactly `rows` rows tall: its last row ends at EOI instead.
        return jpeg[start:-2] + bytes((0xFF, 0xD0 + (rows - 1) % 8))
    raise SpliceError(f"JPEG does not have {rows} MCU rows with restart markers")
