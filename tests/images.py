"""Image files for tests, made from bytes so no binary fixture is needed."""

from __future__ import annotations

import struct
import zlib

__all__ = ["tiny_png", "image_bytes", "sideways_photo"]


def tiny_png() -> bytes:
    """A valid 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0\0\0\0")) + chunk(b"IEND", b"")


def image_bytes(size: tuple[int, int], fmt: str = "PNG", colour: object = (0, 128, 255), mode: str = "RGB",
                **options: object) -> bytes:
    """An image of one colour made with Pillow, encoded as `fmt`."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, fmt, **options)  # type: ignore[arg-type]
    return buffer.getvalue()


def sideways_photo(size: tuple[int, int] = (4000, 3000), quality: int = 95) -> bytes:
    """A camera's JPEG: noisy (so it is big), red in its top-left quarter, blue elsewhere, with
    EXIF orientation 6: a viewer turns it a quarter right, which puts the red at the top right."""
    import io

    from PIL import Image

    width, height = size
    picture = Image.new("RGB", size, (0, 0, 255))
    picture.paste((255, 0, 0), (0, 0, width // 2, height // 2))
    picture = Image.blend(picture, Image.effect_noise(size, 60).convert("RGB"), 0.3)
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=quality, exif=exif)
    return buffer.getvalue()
