"""Draws the app icons (PNG) with the standard library only: run it to regenerate.

A sheet of paper with lines of text and a green check, on the brand green; the
maskable variant keeps the drawing inside the safe circle.
"""

import struct
import zlib
from pathlib import Path

GREEN = (20, 83, 45)
PAPER = (247, 247, 242)
INK = (120, 130, 120)
CHECK = (34, 160, 80)


def png(size: int, pixel) -> bytes:
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel(x / size, y / size)) for x in range(size))
        for y in range(size)
    )

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(
            ">I", zlib.crc32(tag + data) & 0xFFFFFFFF
        )

    head = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head)
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def drawing(scale: float):
    def pixel(u: float, v: float):
        # Work in a box centred on the icon, `scale` of its width.
        x = (u - 0.5) / scale + 0.5
        y = (v - 0.5) / scale + 0.5
        if 0.22 <= x <= 0.78 and 0.14 <= y <= 0.86:
            # Check mark: two strokes near the bottom right.
            d1 = abs((y - 0.70) - (x - 0.52))
            d2 = abs((y - 0.78) + (x - 0.60) * 0.55 * 2)
            if (0.52 <= x <= 0.60 and d1 < 0.03) or (0.60 <= x <= 0.74 and d2 < 0.03):
                return CHECK
            for line_y in (0.28, 0.38, 0.48, 0.58):
                if abs(y - line_y) < 0.022 and 0.30 <= x <= 0.70:
                    return INK
            return PAPER
        return GREEN

    return pixel


if __name__ == "__main__":
    here = Path(__file__).parent
    (here / "icon-192.png").write_bytes(png(192, drawing(1.0)))
    (here / "icon-512.png").write_bytes(png(512, drawing(1.0)))
    (here / "icon-maskable-512.png").write_bytes(png(512, drawing(0.72)))
