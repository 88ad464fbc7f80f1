"""Photos: read an upload's dimensions and describe it as Telegram's PhotoSize list.

Telegram refuses bytes that are not an image (IMAGE_PROCESS_FAILED), so the emulator does too;
it reads the size from the PNG, GIF, JPEG or WebP header instead of decoding the image.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from typing import Any

JSON = dict[str, Any]

_SIDES = (90, 320, 800, 1280, 2560)  # Telegram's thumbnail steps (s, m, x, y, w)
URL_PHOTO_SIZE = (800, 600)  # the emulator does not fetch URLs; it pretends this size


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from the file header, or None if it is not a known image format."""
    for reader in (_png, _gif, _jpeg, _webp):
        size = reader(data)
        if size is not None and size[0] > 0 and size[1] > 0:
            return size
    return None


def _png(data: bytes) -> tuple[int, int] | None:
    if data[:8] != b"\x89PNG\r\n\x1a\n" or len(data) < 24:
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _gif(data: bytes) -> tuple[int, int] | None:
    if data[:6] not in (b"GIF87a", b"GIF89a") or len(data) < 10:
        return None
    width, height = struct.unpack("<HH", data[6:10])
    return int(width), int(height)


def _jpeg(data: bytes) -> tuple[int, int] | None:
    if data[:2] != b"\xff\xd8":
        return None
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            index += 2
            continue
        (length,) = struct.unpack(">H", data[index + 2 : index + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return int(width), int(height)
        index += 2 + length
    return None


def _webp(data: bytes) -> tuple[int, int] | None:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP" or len(data) < 30:
        return None
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = 1 + int.from_bytes(data[24:27], "little")
        height = 1 + int.from_bytes(data[27:30], "little")
        return width, height
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return int(width) & 0x3FFF, int(height) & 0x3FFF
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def photo_sizes(seed: str, width: int, height: int, file_size: int) -> list[JSON]:
    """The PhotoSize list Telegram returns: scaled copies up to the original, smallest first."""
    sizes: list[JSON] = []
    longest = max(width, height)
    for side in _SIDES:
        scale = min(1.0, side / longest)
        w, h = max(1, round(width * scale)), max(1, round(height * scale))
        last = scale >= 1.0 or side == _SIDES[-1]
        approx = file_size if last else max(1, file_size * w * h // max(1, width * height))
        file_id, unique_id = _file_ids(f"{seed}:{side}")
        sizes.append(
            {
                "file_id": file_id,
                "file_unique_id": unique_id,
                "width": w,
                "height": h,
                "file_size": approx,
            }
        )
        if last:
            break
    return sizes


def _file_ids(seed: str) -> tuple[str, str]:
    digest = hashlib.sha256(seed.encode()).digest()
    file_id = "AgACAgIAAxkBAA" + base64.urlsafe_b64encode(digest[:30]).decode().rstrip("=")
    unique_id = "AQAD" + base64.urlsafe_b64encode(digest[:9]).decode().rstrip("=")
    return file_id, unique_id
