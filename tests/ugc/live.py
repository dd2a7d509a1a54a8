"""Live servers and a raw HTTP client for UGC tests: uploads are sent by hand so a test can cut
the connection in the middle of a body."""

import json
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.live import (
    BASE_DIR,
    LiveServer,
    free_port,
    live_env,
    stop_process,
    wait_for_http,
)


@contextmanager
def run_gunicorn(tmp_dir: Path, **env_overrides: str) -> Iterator[LiveServer]:
    """``gunicorn community.wsgi`` (the production HTTP server for the REST API)."""
    port = free_port()
    log_path = tmp_dir / f"gunicorn-{port}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "community.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", "1", "--timeout", "120"],
            cwd=BASE_DIR, env=live_env(**env_overrides), stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    server = LiveServer(process=process, port=port, log_path=log_path)
    try:
        wait_for_http(f"{server.url}/healthz", timeout=30, process=process)
        yield server
    except Exception:
        print(server.log())
        raise
    finally:
        stop_process(process)


def multipart(fields: dict[str, str], file_field: str, filename: str) -> tuple[bytes, bytes, str]:
    """(head, tail, content type) of a multipart body whose file part's bytes go between."""
    boundary = uuid.uuid4().hex
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
        f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return head, tail, f"multipart/form-data; boundary={boundary}"


def post_upload(
    url: str, path: str, token: str, fields: dict[str, str], content: bytes, *,
    cut_after: int | None = None,
) -> bytes:  # fmt: skip
    """POST a multipart upload over a raw socket. ``cut_after``: send only that many bytes of
    the file, then drop the connection (an interrupted upload); returns b"" then."""
    head, tail, content_type = multipart(fields, "file", "upload.zip")
    length = len(head) + len(content) + len(tail)
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(
            (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
             f"Content-Type: {content_type}\r\nContent-Length: {length}\r\n"
             "Connection: close\r\n\r\n").encode() + head
        )  # fmt: skip
        if cut_after is not None:
            sock.sendall(content[:cut_after])
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            return b""
        sock.sendall(content + tail)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def response_json(raw: bytes) -> tuple[int, dict]:
    """Status and JSON body of a raw HTTP/1.1 response (plain or chunked)."""
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in head.lower():
        decoded = b""
        while body:
            size_line, _, rest = body.partition(b"\r\n")
            size = int(size_line, 16)
            if size == 0:
                break
            decoded, body = decoded + rest[:size], rest[size + 2 :]
        body = decoded
    return status, json.loads(body)


def wait_until_empty(folder: Path, timeout: float = 10.0) -> list[str]:
    """The files left in ``folder`` once it is empty or ``timeout`` passed."""
    deadline = time.monotonic() + timeout
    while True:
        left = [str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)
