"""A test RTSP server for the demo's and the tests' synthetic cameras: Debian's GStreamer RTSP
server (gir1.2-gst-rtsp-server-1.0, run by the system's python3 with its gi bindings, not the
project's virtual environment). Each mount is a moving test picture encoded to H.264, shared
by all its clients.

    /usr/bin/python3 ioc/cameras/rtsp_server.py PORT /cam1 /cam2:640x360 ...

Prints "ready" when it listens. Not imported by the platform.
"""

import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

PIPELINE = (
    "( videotestsrc is-live=true pattern={pattern} ! video/x-raw,width={w},height={h},"
    "framerate=25/1 ! clockoverlay halignment=right valignment=top ! x264enc tune=zerolatency "
    "speed-preset=ultrafast key-int-max=25 bitrate={kbps} ! rtph264pay name=pay0 pt=96 "
    "config-interval=1 )"
)


def main() -> None:
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(sys.argv[1])
    mounts = server.get_mount_points()
    for index, spec in enumerate(sys.argv[2:]):
        path, _, size = spec.partition(":")
        w, h = (int(x) for x in (size or "1280x720").split("x"))
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(
            PIPELINE.format(pattern=("ball", "smpte", "snow")[index % 3], w=w, h=h, kbps=1500)
        )
        factory.set_shared(True)
        mounts.add_factory(path, factory)
    server.attach(None)
    print("ready", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
