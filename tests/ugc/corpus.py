"""Files for UGC tests, made by code: valid images and packages, and the malicious-upload
corpus (lying extensions, polyglots, decompression and zip bombs, path traversal, symlinks,
truncated images, SVG with script, EXIF GPS)."""

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass

from PIL import Image


def image_bytes(image_format: str, size: tuple[int, int] = (64, 48), **save: object) -> bytes:
    out = io.BytesIO()
    colour = (30, 120, 200) if image_format != "PNG" else (200, 40, 40, 255)
    mode = "RGBA" if image_format == "PNG" else "RGB"
    Image.new(mode, size, colour).save(out, format=image_format, **save)
    return out.getvalue()


def noisy_png(size: tuple[int, int] = (640, 360), seed: int = 1) -> bytes:
    """A PNG that is unique per ``seed`` (duplicate detection keys on exact bytes)."""
    image = Image.effect_noise(size, 40 + seed % 50).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def jpeg_with_gps_exif() -> bytes:
    image = Image.new("RGB", (120, 90), (0, 90, 200))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x8825] = {1: "N", 2: (35.0, 39.0, 0.0), 3: "E", 4: (139.0, 44.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=b"secret comment")
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A tiny PNG whose header claims a huge image (the pixels would need gigabytes)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * width
    compressor = zlib.compressobj(9)
    data = compressor.compress(row * 16) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", data)
        + _png_chunk(b"IEND", b"")
    )  # fmt: skip


def gif_js_polyglot() -> bytes:
    """A GIF whose bytes are also JavaScript (``GIF89a/*…*/=alert(1);``)."""
    screen = b"/*" + b"\x00\x00\x00\x00"
    image = b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00"
    return b"GIF89a" + screen + image + b"*/=alert(document.domain);"


def zip_bytes(files: dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=method) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def level_zip(seed: int = 0, *, preview: bytes | None = None) -> bytes:
    files = {"level.json": b'{"name": "Neon Canyon", "seed": %d}' % seed, "tiles/0.bin": bytes(256)}
    if preview is not None:
        files["preview.png"] = preview
    return zip_bytes(files)


def jpeg_zip_polyglot() -> bytes:
    """A JPEG with a ZIP appended (a classic way to smuggle an archive past image checks)."""
    return image_bytes("JPEG") + zip_bytes({"payload.html": b"<script>alert(1)</script>"})


def svg_with_script() -> bytes:
    return (
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" '
        b'height="10"><script>alert(document.cookie)</script><rect width="10" height="10"/></svg>'
    )


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


@dataclass
class Entry:
    """One entry of a hand-made ZIP (to build what ``zipfile`` refuses to write)."""

    name: str
    data: bytes
    compress: bool = False
    external_attr: int = 0
    create_system: int = 3
    flags: int = 0
    declared_size: int | None = None  # lie about the uncompressed size
    header_offset: int | None = None  # point the directory at another entry's bytes


def zip_crafted(entries: list[Entry], *, extra_directory: list[Entry] | None = None) -> bytes:
    """A ZIP written by hand: local headers + data, central directory, end record.
    ``extra_directory`` entries appear only in the central directory (overlapping files)."""
    out = io.BytesIO()
    records = []
    for entry in entries:
        payload = zlib.compress(entry.data)[2:-4] if entry.compress else entry.data
        method = 8 if entry.compress else 0
        crc = zlib.crc32(entry.data)
        size = entry.declared_size if entry.declared_size is not None else len(entry.data)
        name = entry.name.encode()
        offset = out.tell()
        out.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, entry.flags, method, 0, 0,
                              crc, len(payload), size, len(name), 0) + name + payload)  # fmt: skip
        records.append((entry, method, crc, len(payload), size, name, offset))
    for entry in extra_directory or []:
        first = records[0]
        records.append((entry, first[1], first[2], first[3], first[4], entry.name.encode(),
                        entry.header_offset or 0))  # fmt: skip
    directory_start = out.tell()
    for entry, method, crc, compressed, size, name, offset in records:
        version_made = (entry.create_system << 8) | 20
        out.write(struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", version_made, 20,
                              entry.flags, method, 0, 0, crc, compressed, size, len(name), 0, 0,
                              0, 0, entry.external_attr, offset) + name)  # fmt: skip
    directory_size = out.tell() - directory_start
    out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(records), len(records),
                          directory_size, directory_start, 0))  # fmt: skip
    return out.getvalue()


def zip_ratio_bomb(megabytes: int = 40) -> bytes:
    """One entry of zeros: tiny compressed, huge expanded."""
    return zip_bytes({"map.bin": bytes(megabytes << 20)})


def zip_lying_size() -> bytes:
    """An entry whose header claims 10 bytes but that expands to 1 MiB."""
    return zip_crafted([Entry("map.bin", bytes(1 << 20), compress=True, declared_size=10)])


def zip_overlapping() -> bytes:
    """Two directory entries pointing at the same bytes (non-recursive zip bomb)."""
    return zip_crafted(
        [Entry("a.bin", bytes(4096), compress=True)],
        extra_directory=[Entry("b.bin", b"", header_offset=0)],
    )


def zip_symlink() -> bytes:
    link_mode = 0o120777 << 16
    return zip_crafted([Entry("config", b"/etc/passwd", external_attr=link_mode)])


def zip_traversal(name: str = "../../etc/cron.d/evil") -> bytes:
    return zip_crafted([Entry(name, b"* * * * * root sh -c 'id'")])


def zip_encrypted() -> bytes:
    return zip_crafted([Entry("level.json", b"{}", flags=0x1)])


def zip_many_entries(count: int) -> bytes:
    return zip_bytes({f"tiles/{index}.bin": b"x" for index in range(count)})
