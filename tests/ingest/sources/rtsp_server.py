"""A tiny RTSP test server on GStreamer's RTSP server (Debian packages, not the venv).

Run with the system Python: `/usr/bin/python3 tests/ingest/sources/rtsp_server.py`.
It binds 127.0.0.1 on a free port and prints one line `READY <port> <path>` once it
accepts clients. Credentials come from the environment (RTSP_TEST_USER /
RTSP_TEST_PASSWORD) so they never show in a process list; `--auth` picks Basic or
Digest. The stream is a live test pattern encoded as H.264 with a key frame every
`--key-int` frames. Install the packages with `.ci/install-rtsp-deps`.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

import gi  # type: ignore[import-not-found]  # system Python only

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # type: ignore[import-not-found]  # noqa: E402

ROLE = "camera-viewer"


def _encoder(width: int, height: int, fps: int, key_int: int, pattern: str) -> str:
    return (
        f"videotestsrc is-live=true pattern={pattern} "
        f"! video/x-raw,width={width},height={height},framerate={fps}/1 "
        f"! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={key_int}"
    )


class CameraEncoder:
    """An encoder that runs on its own, like a camera's: clients join its fixed GOP.

    GStreamer's server would otherwise restart the encoder (and so the GOP) for each
    client it adds to the shared stream. Encoded access units go from an appsink to
    the appsrc of every prepared media; a joining client gets the stream headers
    (SPS/PPS) followed by whatever frame comes next, key or not.
    """

    CAPS = "video/x-h264,stream-format=byte-stream,alignment=au"

    def __init__(self, source: str) -> None:
        self.pipeline = Gst.parse_launch(
            f"{source} ! {self.CAPS} ! appsink name=sink emit-signals=true sync=false"
        )
        self.headers: bytes | None = None
        self.first_frame = threading.Event()
        self.outputs: list[tuple[Gst.Element, list[bool]]] = []
        sink = self.pipeline.get_by_name("sink")
        sink.connect("new-sample", self._on_sample)
        self.pipeline.set_state(Gst.State.PLAYING)

    def media_launch(self) -> str:
        return (
            f"( appsrc name=src is-live=true format=time do-timestamp=true caps={self.CAPS} "
            "! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )"
        )

    def attach(self, _factory: object, media: GstRtspServer.RTSPMedia) -> None:
        appsrc = media.get_element().get_by_name("src")
        output = (appsrc, [False])
        self.outputs.append(output)
        media.connect("unprepared", lambda _media: self.outputs.remove(output))

    def _on_sample(self, sink: Gst.Element) -> Gst.FlowReturn:
        sample = sink.emit("pull-sample")
        data = sample.get_buffer().extract_dup(0, sample.get_buffer().get_size())
        if self.headers is None:
            # The first access unit is an IDR led by SPS and PPS; keep those NAL units.
            idr = data.find(b"\x00\x00\x01\x65")
            self.headers = data[: idr if idr > 0 else 0] or None
            self.first_frame.set()
        for appsrc, started in list(self.outputs):
            payload = data if started[0] or self.headers is None else self.headers + data
            started[0] = True
            appsrc.emit("push-buffer", Gst.Buffer.new_wrapped(payload))
        return Gst.FlowReturn.OK


def _add_auth(server: GstRtspServer.RTSPServer, mode: str, user: str, password: str) -> None:
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string("media.factory.role", ROLE)
    if mode == "basic":
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
    else:
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        auth.add_digest(user, password, token)
    server.set_auth(auth)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--auth", choices=("none", "basic", "digest"), default="none")
    parser.add_argument("--path", default="/stream")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--key-int", type=int, default=10)
    parser.add_argument(
        "--camera-gop",
        action="store_true",
        help="ignore key frame requests from joining clients (a camera's fixed GOP)",
    )
    parser.add_argument(
        "--pattern", default="ball", help="a videotestsrc pattern, or audio-only for no video"
    )
    args = parser.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service("0")

    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_shared(True)
    encoder = _encoder(args.width, args.height, args.fps, args.key_int, args.pattern)
    if args.pattern == "audio-only":
        factory.set_launch(
            "( audiotestsrc is-live=true ! audioconvert ! rtpL16pay name=pay0 pt=96 )"
        )
    elif args.camera_gop:
        camera = CameraEncoder(encoder)
        factory.set_launch(camera.media_launch())
        factory.connect("media-configure", camera.attach)
        # Clients must join an encoder already inside its GOP, never at its first frame.
        if not camera.first_frame.wait(10):
            print("the encoder produced no frame", file=sys.stderr)
            return 1
    else:
        factory.set_launch(f"( {encoder} ! rtph264pay name=pay0 pt=96 config-interval=1 )")
    if args.auth != "none":
        user = os.environ.get("RTSP_TEST_USER", "")
        password = os.environ.get("RTSP_TEST_PASSWORD", "")
        if not user or not password:
            print("RTSP_TEST_USER and RTSP_TEST_PASSWORD must be set for --auth", file=sys.stderr)
            return 2
        _add_auth(server, args.auth, user, password)
        permissions = GstRtspServer.RTSPPermissions()
        role = Gst.Structure.from_string(
            f"{ROLE}, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
        )[0]
        permissions.add_role_from_structure(role)
        factory.set_permissions(permissions)
    server.get_mount_points().add_factory(args.path, factory)

    loop = GLib.MainLoop()
    if server.attach(None) == 0:
        print("could not attach the RTSP server", file=sys.stderr)
        return 1
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, loop.quit)
    print(f"READY {server.get_bound_port()} {args.path}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
