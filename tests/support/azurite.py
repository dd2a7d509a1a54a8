"""Azurite (the Azure Storage emulator) for tests and benches: ``run_azurite`` starts its blob
service on a free loopback port with a fresh data folder and yields a connection string. No
Django import here: a bench starts Azurite before it configures Django.

``make test`` installs it (``infra/azurite.sh`` → ``<venv>/azurite``); ``AZURITE_BLOB`` may
point at another ``azurite-blob`` executable.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# Azurite's well-known development account (public, documented by Microsoft; not a secret).
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


def azurite_executable() -> Path:
    return Path(
        os.environ.get("AZURITE_BLOB")
        or Path(sys.prefix) / "azurite/node_modules/.bin/azurite-blob"
    )


def azurite_missing_reason() -> str | None:
    if not azurite_executable().exists():
        return f"Azurite is not installed ({azurite_executable()}; make azurite)"
    return None


@dataclass
class Azurite:
    process: subprocess.Popen
    port: int

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/{ACCOUNT}"

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint={self.endpoint};"
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"azurite exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"azurite did not listen on {port} within {timeout} s")


@contextmanager
def run_azurite(data_dir: Path, *, log_path: Path | None = None) -> Iterator[Azurite]:
    """Azurite's blob service on a free port, storing under ``data_dir`` (created)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log = (log_path or data_dir / "azurite.log").open("w")
    process = subprocess.Popen(
        [str(azurite_executable()), "--blobHost", "127.0.0.1", "--blobPort", str(port),
         "--location", str(data_dir), "--skipApiVersionCheck", "--disableTelemetry", "--silent"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        _wait_for_port(port, process, timeout=30)
        yield Azurite(process=process, port=port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
