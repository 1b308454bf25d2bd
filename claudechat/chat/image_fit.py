"""Images the way the models take them: at most 1568 px on the long edge and 5 MB of base64.

An image within both limits is sent exactly as it is; its size is read from its header, so
Pillow is not even imported. A bigger one (a phone's 12-megapixel photo, a 4K screenshot) is
scaled down with Pillow, turned upright as its EXIF orientation says, and encoded as JPEG
when it is a photo or PNG when it is a drawing or screenshot and fits. HEIC/HEIF photos are
decoded with pillow-heif and always re-encoded, since the API takes none.

The limit is on the base64 text the API receives (the service reports "image exceeds 5 MB
maximum" for a 4 MB file), so the bytes may be at most three quarters of it.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

from claudechat.chat.attachments import AttachmentError

__all__ = [
    "FittedImage",
    "MAX_EDGE",
    "MAX_ENCODED_BYTES",
    "MAX_IMAGE_DATA",
    "fit_image",
    "image_dimensions",
    "is_heif",
    "human_size",
]

MAX_EDGE = 1568  # px on the long edge: what Claude scales every image down to anyway
MAX_ENCODED_BYTES = 5 * 1024 * 1024  # the API's limit, on the base64 text
MAX_IMAGE_DATA = MAX_ENCODED_BYTES // 4 * 3  # the most bytes whose base64 is within it
_JPEG_QUALITIES = (85, 75, 60, 45)
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WebP"}
_HEIF_HINT = "convert it to JPEG first (macOS: sips -s format jpeg IN --out OUT.jpg; Linux: heif-convert IN OUT.jpg)"


@dataclass(frozen=True)
class FittedImage:
    data: bytes
    media_type: str
    width: int | None
    height: int | None
    change: str | None = None  # "4000×3000, 5.8 MB → 1568×1176, 312 KB JPEG", when it was changed


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


def is_heif(head: bytes) -> bool:
    """True for the first bytes of a HEIC/HEIF file (an ISO media `ftyp` box of a HEIF brand)."""
    return len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS


def image_dimensions(data: bytes, media_type: str) -> tuple[int, int] | None:
    """(width, height) from the header of a PNG, GIF, WebP or JPEG; None when it cannot tell."""
    try:
        if media_type == "image/png" and data[12:16] == b"IHDR":
            return struct.unpack(">II", data[16:24])
        if media_type == "image/gif":
            return struct.unpack("<HH", data[6:10])
        if media_type == "image/webp":
            return _webp_dimensions(data)
        if media_type == "image/jpeg":
            return _jpeg_dimensions(data)
    except struct.error:  # cut short
        return None
    return None


def _webp_dimensions(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and data[20:21] == b"\x2f":
        b1, b2, b3, b4 = data[21:25]
        return 1 + (((b2 & 0x3F) << 8) | b1), 1 + (((b4 & 0x0F) << 10) | (b3 << 2) | ((b2 & 0xC0) >> 6))
    if chunk == b"VP8X":
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    return None


# Start-of-frame markers: they carry the size (C4 is DHT, C8 JPG and CC DAC, which do not).
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_dimensions(data: bytes) -> tuple[int, int] | None:
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            at += 2
            continue
        if marker == 0xDA:  # start of scan: past the headers without a frame
            return None
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        if marker in _SOF_MARKERS:
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return width, height
        at += 2 + length
    return None


def fit_image(data: bytes, media_type: str | None, shown: str) -> FittedImage:
    """`data` as it can be sent: unchanged when within the limits, else scaled and re-encoded.

    `media_type` is what the first bytes say (None for anything but PNG, JPEG, GIF, WebP);
    `shown` names the image in errors. Raises AttachmentError when it is no usable image.
    """
    if media_type is None:
        if not is_heif(data[:12]):
            raise AttachmentError(f"cannot attach {shown}: not a PNG, JPEG, GIF or WebP image (nor a HEIC photo)")
        return _reencode(data, "image/heic", shown)
    size = image_dimensions(data, media_type)
    if len(data) <= MAX_IMAGE_DATA and (size is None or max(size) <= MAX_EDGE):
        # Unknown size (an odd header): sent as it is, as before; the server has the last word.
        return FittedImage(data, media_type, *(size or (None, None)))
    return _reencode(data, media_type, shown)


def _open(data: bytes, media_type: str, shown: str):  # type: ignore[no-untyped-def]
    from PIL import Image, UnidentifiedImageError

    if media_type == "image/heic":
        try:
            import pillow_heif
        except ImportError:
            raise AttachmentError(
                f"cannot attach {shown}: reading HEIC photos needs pillow-heif, which is not installed",
                hint=f"pip install pillow-heif, or {_HEIF_HINT}",
            ) from None
        pillow_heif.register_heif_opener()
    try:
        image = Image.open(io.BytesIO(data))
        image.size  # noqa: B018  (the header is read: a broken one fails here)
    except Image.DecompressionBombError:
        raise AttachmentError(f"cannot attach {shown}: it has too many pixels to scale down safely") from None
    except UnidentifiedImageError:
        raise AttachmentError(f"cannot attach {shown}: the image cannot be read (its data is damaged)") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise AttachmentError(f"cannot attach {shown}: the image cannot be read ({_reason(exc)})") from None
    return image


def _reason(exc: BaseException) -> str:
    from claudechat.sanitize import one_line

    return one_line(str(exc) or type(exc).__name__, 120)


def _reencode(data: bytes, media_type: str, shown: str) -> FittedImage:
    from PIL import Image, ImageOps

    image = _open(data, media_type, shown)
    before = image.size
    frames = getattr(image, "n_frames", 1)
    try:
        orientation = image.getexif().get(0x0112, 1)
        if image.mode not in ("L", "LA", "RGB", "RGBA", "CMYK", "YCbCr"):  # palettes resize badly
            image = image.convert("RGBA" if _has_alpha(image) else "RGB")
        # A JPEG is decoded at a reduced scale (draft: 1/2, 1/4, 1/8, never below the target),
        # so a 12-megapixel photo is never decoded whole; the orientation is applied to the
        # small image.
        scale = min(1.0, MAX_EDGE / max(image.size))
        image.draft(None, (max(1, int(image.width * scale)), max(1, int(image.height * scale))))
        image.thumbnail((MAX_EDGE, MAX_EDGE), Image.Resampling.LANCZOS, reducing_gap=None)
        upright = ImageOps.exif_transpose(image) if orientation != 1 else image
        if upright is not None:
            image = upright
        encoded, media = _encode(image, photo=media_type in ("image/jpeg", "image/heic", "image/webp"))
    except Image.DecompressionBombError:
        raise AttachmentError(f"cannot attach {shown}: it has too many pixels to scale down safely") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise AttachmentError(f"cannot attach {shown}: the image cannot be read ({_reason(exc)})") from None
    if encoded is None:
        raise AttachmentError(f"cannot attach {shown}: even scaled down it is over the 5 MB limit")
    width, height = image.size
    source = "HEIC " if media_type == "image/heic" else ""
    change = (
        f"{source}{before[0]}×{before[1]}, {human_size(len(data))} → "
        f"{width}×{height}, {human_size(len(encoded))} {media.removeprefix('image/').upper()}"
    )
    if frames > 1:
        change += " (its first frame)"
    if orientation != 1:
        change += ", turned upright"
    return FittedImage(encoded, media, width, height, change)


def _has_alpha(image) -> bool:  # type: ignore[no-untyped-def]
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def _encode(image, *, photo: bool) -> tuple[bytes | None, str]:  # type: ignore[no-untyped-def]
    """The smallest fitting encoding worth having: PNG for drawings (and anything with
    transparency) when it fits, else JPEG at falling quality."""
    icc = image.info.get("icc_profile")  # colours stay as the camera meant (Display P3)
    extra = {"icc_profile": icc} if icc else {}
    if not photo or _has_alpha(image):
        buffer = io.BytesIO()
        image.save(buffer, "PNG", **extra)
        if buffer.tell() <= MAX_IMAGE_DATA:
            return buffer.getvalue(), "image/png"
    flat = _flatten(image)
    for quality in _JPEG_QUALITIES:
        buffer = io.BytesIO()
        flat.save(buffer, "JPEG", quality=quality, **extra)
        if buffer.tell() <= MAX_IMAGE_DATA:
            return buffer.getvalue(), "image/jpeg"
    return None, "image/jpeg"


def _flatten(image):  # type: ignore[no-untyped-def]
    """RGB (or grey) for JPEG: transparent parts on white, as a viewer would show them."""
    from PIL import Image

    if image.mode in ("RGB", "L"):
        return image
    if _has_alpha(image):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")
