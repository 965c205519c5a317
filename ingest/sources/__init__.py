"""Camera stream sources: HTTP snapshots, MJPEG, RTSP (PyAV), local files.

Every source gives reduced `Sample`s and fails with one exception type,
`ProbeError`, whose `code` (`ProbeFailure`) is stable and safe to publish.
"""

from ingest.sources.base import EndOfStream, FrameSource, StreamSource
from ingest.sources.credentials import Credentials, describe_url
from ingest.sources.failures import ProbeError, classify
from ingest.sources.http_client import HttpClient, HttpLimits, HttpTimeouts
from ingest.sources.jpeg import DecodeOptions, decode_jpeg
from ingest.sources.local import ImageSequenceSource, VideoFileSource, image_files
from ingest.sources.mjpeg import MjpegSource
from ingest.sources.rtsp import RtspSource, RtspTimeouts
from ingest.sources.sample import Sample
from ingest.sources.snapshot import HttpSnapshotSource

__all__ = [
    "Credentials",
    "DecodeOptions",
    "EndOfStream",
    "FrameSource",
    "HttpClient",
    "HttpLimits",
    "HttpSnapshotSource",
    "HttpTimeouts",
    "ImageSequenceSource",
    "MjpegSource",
    "ProbeError",
    "RtspSource",
    "RtspTimeouts",
    "Sample",
    "StreamSource",
    "VideoFileSource",
    "classify",
    "decode_jpeg",
    "describe_url",
    "image_files",
]
