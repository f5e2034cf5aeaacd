"""`onemap wall`: a standalone video wall, for a PC that drives a big screen.

    onemap wall --layout 2x2 [--screen N] [--fullscreen] SOURCE...

SOURCE is a stream URL (http(s)://, rtsp://, file://) or a media file path; sources fill the tiles in order.

The arguments are parsed before Qt and the video back-ends (libvlc, Qt Multimedia) are loaded: `--help` and
a mistake are answered at once, without the back-ends' start-up warnings.
"""
from __future__ import annotations

import argparse
import sys

# The names of video.wall.LAYOUTS (a test holds them equal); importing video.wall would load the back-ends.
LAYOUT_NAMES = ("1", "2x2", "3x3", "4x4", "1+5")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="onemap wall", description="Open a standalone video wall.")
    parser.add_argument("--layout", choices=LAYOUT_NAMES, default="2x2",
                        help="tile layout: 1 tile, 2x2, 3x3 or 4x4 tiles, or 1+5 (one large, five small); "
                             "default 2x2")
    parser.add_argument("--screen", type=int, default=0, help="monitor number, 0 = primary (default 0)")
    parser.add_argument("--fullscreen", action="store_true", help="cover the whole monitor")
    parser.add_argument("sources", nargs="+", metavar="SOURCE",
                        help="a stream URL (http://, https://, rtsp://, file://) or a media file; "
                             "sources fill the tiles in order")
    return parser


def main(argv: list[str]) -> int:
    """Run the wall until its window is closed; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from video.camera import camera_for_source
    from video.wall import LAYOUTS, Wall

    app = QApplication.instance() or QApplication([sys.argv[0]])
    screens = app.screens()
    if not 0 <= args.screen < len(screens):
        parser.error(f"--screen {args.screen}: this display has screens 0 to {len(screens) - 1}")
    capacity = len(LAYOUTS[args.layout])
    if len(args.sources) > capacity:
        parser.error(f"layout {args.layout} has {capacity} tiles, {len(args.sources)} sources were given")

    wall = Wall(args.layout)
    wall.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    wall.destroyed.connect(app.quit)
    wall.fill(camera_for_source(source, i) for i, source in enumerate(args.sources))
    wall.show_on_screen(screens[args.screen], fullscreen=args.fullscreen)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
