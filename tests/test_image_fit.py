"""Images scaled to what the models take: sizes read from headers, big ones scaled with Pillow.

In-process: every image is made by Pillow in the test; the pseudo-terminal tests in
test_paste.py check the same path end to end (the note on screen, the request's image).
"""

from __future__ import annotations

import base64
import hashlib
import io
import sys

import pytest
from PIL import Image

from claudechat.chat.attachments import AttachmentError, ImageAttachment, attachment_from_part, image_from_bytes, load_image
from claudechat.chat.conversation import Message
from claudechat.chat.image_fit import MAX_EDGE, MAX_ENCODED_BYTES, fit_image, human_size, image_dimensions, is_heif
from tests.images import image_bytes, sideways_photo

MEDIA = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}


def sent_image(image: ImageAttachment) -> Image.Image:
    media_type, _, data = image.url.removeprefix("data:").partition(";base64,")
    assert media_type == image.media_type
    return Image.open(io.BytesIO(base64.b64decode(data)))


# --- sizes from headers ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(MEDIA))
@pytest.mark.parametrize("size", [(1, 1), (1568, 900), (333, 4444), (16383, 2)])
def test_the_size_read_from_the_header_is_the_one_pillow_reads(fmt, size):
    if fmt == "WEBP" and max(size) > 16383:
        pytest.skip("beyond WebP")
    data = image_bytes(size, fmt)
    assert image_dimensions(data, MEDIA[fmt]) == size == Image.open(io.BytesIO(data)).size


@pytest.mark.parametrize("options", [{"lossless": True}, {"lossless": False}], ids=["VP8L", "VP8"])
@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_webp_of_every_kind_tells_its_size(options, mode):
    data = image_bytes((701, 303), "WEBP", (1, 2, 3, 4) if mode == "RGBA" else (1, 2, 3), mode=mode, **options)
    assert image_dimensions(data, "image/webp") == (701, 303)


def test_a_progressive_jpeg_with_exif_tells_its_size():
    data = image_bytes((640, 480), "JPEG", progressive=True, exif=Image.Exif().tobytes())
    assert image_dimensions(data, "image/jpeg") == (640, 480)


@pytest.mark.parametrize("data", [b"\xff\xd8\xff", b"\xff\xd8\xff\xe0\x00\x10JFIF", b"\x89PNG\r\n\x1a\n", b"GIF89a"])
def test_a_header_cut_short_gives_no_size(data):
    media_type = "image/jpeg" if data.startswith(b"\xff") else "image/png" if data.startswith(b"\x89") else "image/gif"
    assert image_dimensions(data, media_type) is None


# --- within the limits: sent as they are -------------------------------------------------------


@pytest.mark.parametrize("fmt", list(MEDIA))
def test_an_image_within_the_limits_is_sent_byte_for_byte_without_pillow(fmt, monkeypatch):
    data = image_bytes((MAX_EDGE, 700), fmt)
    monkeypatch.setitem(sys.modules, "PIL", None)  # importing Pillow would fail
    fitted = fit_image(data, MEDIA[fmt], "x")
    assert (fitted.data, fitted.media_type, fitted.width, fitted.height, fitted.change) == (data, MEDIA[fmt], MAX_EDGE, 700, None)


def test_a_small_animated_gif_keeps_its_frames():
    frames = [Image.new("P", (40, 30), colour) for colour in (1, 2, 3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100)
    fitted = fit_image(buffer.getvalue(), "image/gif", "x")
    assert fitted.data == buffer.getvalue() and fitted.change is None


# --- over the limits: scaled down -----------------------------------------------------------


def test_a_sideways_12_megapixel_photo_is_scaled_turned_upright_and_the_file_left_alone(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(sideways_photo())
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    image = load_image(str(path))
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    sent = sent_image(image)
    assert sent.format == "JPEG" and image.media_type == "image/jpeg"
    assert sent.size == (image.width, image.height) == (1176, 1568)  # 3000×4000 upright, long edge 1568
    assert len(image.url) - len("data:image/jpeg;base64,") <= MAX_ENCODED_BYTES
    # The red quarter was top-left as stored; turned a quarter right it is top-right.
    red, green, blue = sent.convert("RGB").getpixel((sent.width - 20, 20))
    assert red > 150 and blue < 100
    red, green, blue = sent.convert("RGB").getpixel((20, 20))
    assert blue > 150 and red < 100
    assert sent.getexif().get(0x0112) in (None, 1)  # nobody turns it again
    assert image.note == (
        f"{path} scaled down for the model: 4000×3000, {human_size(path.stat().st_size)} → "
        f"1176×1568, {human_size(image.size)} JPEG, turned upright (the file is unchanged)"
    )


def test_a_4k_screenshot_stays_a_png_with_its_transparency():
    data = image_bytes((3840, 2160), "PNG", (10, 20, 30, 128), mode="RGBA")
    image = image_from_bytes(data, "shot.png")
    sent = sent_image(image)
    assert (sent.format, sent.size, sent.mode) == ("PNG", (1568, 882), "RGBA")
    assert all(abs(got - want) <= 2 for got, want in zip(sent.getpixel((5, 5)), (10, 20, 30, 128)))
    assert image.note == (
        f"shot.png scaled down for the model: 3840×2160, {human_size(len(data))} → 1568×882, {human_size(image.size)} PNG"
    )


def test_a_palette_image_is_scaled_smoothly_not_by_dropping_pixels():
    data = image_bytes((3200, 100), "PNG", 7, mode="P")
    sent = sent_image(image_from_bytes(data, "p.png"))
    assert sent.size == (1568, 49) and sent.format == "PNG"


def test_bytes_over_the_limit_at_a_small_size_become_a_jpeg():
    noise = Image.effect_noise((1500, 1500), 100).convert("RGB")
    buffer = io.BytesIO()
    noise.save(buffer, "PNG", compress_level=0)
    assert len(buffer.getvalue()) > MAX_ENCODED_BYTES
    image = image_from_bytes(buffer.getvalue(), "noise.png")
    assert image.media_type == "image/jpeg" and (image.width, image.height) == (1500, 1500)
    assert len(image.url.split(",", 1)[1]) <= MAX_ENCODED_BYTES  # the base64 the API measures


def test_a_big_animated_gif_is_sent_as_its_first_frame_and_says_so():
    frames = [Image.new("RGB", (2000, 100), colour) for colour in ("red", "green")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100)
    image = image_from_bytes(buffer.getvalue(), "anim.gif")
    assert (image.width, image.height) == (1568, 78)
    assert image.note is not None and image.note.endswith("PNG (its first frame)")
    assert sent_image(image).convert("RGB").getpixel((0, 0))[0] > 200


def test_a_heic_photo_becomes_a_jpeg():
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    buffer = io.BytesIO()
    Image.new("RGB", (2000, 1000), (200, 30, 30)).save(buffer, "HEIF")
    assert is_heif(buffer.getvalue()[:12])
    image = image_from_bytes(buffer.getvalue(), "IMG_0001.HEIC")
    sent = sent_image(image)
    assert (sent.format, sent.size) == ("JPEG", (1568, 784))
    assert image.note is not None and "HEIC 2000×1000" in image.note


def test_without_pillow_heif_a_heic_photo_is_refused_saying_how_to_convert(monkeypatch):
    head = b"\x00\x00\x00\x18ftypheic" + bytes(100)
    monkeypatch.setitem(sys.modules, "pillow_heif", None)
    with pytest.raises(AttachmentError) as caught:
        image_from_bytes(head, "IMG_0001.HEIC")
    message = str(caught.value)
    assert "pillow-heif" in message and "sips" in message and "heif-convert" in message
    assert "\n" not in message


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01\x00\x00\x00\x01\x00\x00" + bytes(50),  # 65536 wide, no pixels
    b"\xff\xd8\xff\xe0" + bytes(6 * 1024 * 1024),  # 6 MB of nothing
], ids=["huge-header", "over-5-MB"])
def test_an_image_that_needs_scaling_but_cannot_be_read_is_refused_in_one_line(data):
    with pytest.raises(AttachmentError) as caught:
        image_from_bytes(data, "broken.png")
    assert str(caught.value).startswith("cannot attach broken.png: the image cannot be read (")
    assert "\n" not in str(caught.value)


def test_text_is_no_image():
    with pytest.raises(AttachmentError, match="not a PNG, JPEG, GIF or WebP image"):
        image_from_bytes(b"just some words\n", "notes.txt")


# --- the size goes with the message, never to the server -----------------------------------------


def test_width_and_height_are_kept_in_the_session_but_not_sent():
    image = image_from_bytes(image_bytes((30, 20)), "a.png")
    part = image.stored_part()
    assert part["attachment"] == {"kind": "image", "name": "a.png", "size": image.size, "width": 30, "height": 20}
    again = attachment_from_part(part)
    assert isinstance(again, ImageAttachment)
    assert (again.width, again.height, again.size, again.name) == (30, 20, image.size, "a.png")
    sent = Message("user", [{"type": "text", "text": "hi"}, part]).to_api()["content"][1]
    assert sent == {"type": "image_url", "image_url": {"url": image.url}}


def test_a_url_has_no_size():
    image = load_image("https://example.com/a.png")
    assert (image.width, image.height, image.note) == (None, None, None)
    assert "attachment" not in image.stored_part()
