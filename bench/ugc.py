"""UGC uploads and thumbnails against baselines measured in the same run (not collected by
pytest). Storage is Azure Blob Storage, emulated by Azurite (``make azurite``).

1. **Upload of a 200 MB mod through the API** — ``POST /api/v1/ugc/titles/{slug}/items``,
   multipart, on gunicorn (the production HTTP server; one sync worker) and on Daphne (what
   ``make run`` serves): receive, hash, check the ZIP (every entry decompressed into a
   counter), store in Azurite, commit. Reported: seconds and MB/s, and the **peak RSS growth
   of the serving process** (``VmHWM`` after the upload minus ``VmRSS`` before, peak reset
   through ``/proc/<pid>/clear_refs``; target ≤ 64 MB). Baseline: the **bare
   azure-storage-blob SDK** uploading the same file to the same Azurite with the same
   concurrency. Target: ours / baseline throughput ≥ 0.7.
2. **Thumbnails** — images/s through the Celery task ``ugc.thumbnails_make`` on a real
   worker (``--pool solo``: one process, one core), reading the source from Azurite and
   writing three WebP renditions back, against **bare Pillow** doing the same decode and the
   same three resizes and encodes in memory in one process. Target ≥ 0.8.

Calibration: the bench's own HTTP client (raw socket, ``sendfile``) pushes the 200 MB body into
a discarding server at a rate printed with the CPU of both; it must far exceed the upload
rates measured, or the figures measure the client. CPU of every process involved is read from
``/proc`` (user + system). Runs are interleaved (ours, baseline, …); medians with min-max;
``/proc/loadavg`` before and after each block.

Run (PostgreSQL, Redis; creates the scratch database ``<name>_bench_ugc``)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/community_ugc \\
    REDIS_URL=redis://127.0.0.1:6391/0 CELERY_BROKER_URL=redis://127.0.0.1:6391/1 \\
    .venv/bin/python bench/ugc.py [--runs 3] [--mod-mb 200] [--images 40]
"""

import argparse
import hashlib
import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.event_ingest import scratch_database  # noqa: E402

TITLE = "bench-arena"
UPLOAD_CONCURRENCY = "2"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    raise KeyError(key)


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


# --- workload ------------------------------------------------------------------------------


def make_mod(path: Path, megabytes: int) -> None:
    """A realistic mod: a few large asset packs (incompressible, stored) and small files."""
    with zipfile.ZipFile(path, "w") as archive:
        chunk = 8 << 20
        for pack in range(max(1, megabytes // 40)):
            with archive.open(f"assets/pack{pack:02d}.pak", "w", force_zip64=True) as entry:
                for _ in range(min(40, megabytes - pack * 40) * (1 << 20) // chunk):
                    entry.write(os.urandom(chunk))
        for index in range(200):
            archive.writestr(f"scripts/s{index:03d}.lua", f"-- script {index}\n" * 50)


def screenshot(seed: int) -> bytes:
    """A 1920x1080 game-like PNG (gradients, shapes, noise), different per seed."""
    from PIL import Image, ImageDraw

    image = Image.linear_gradient("L").resize((1920, 1080)).convert("RGB")
    draw = ImageDraw.Draw(image)
    rng = __import__("random").Random(seed)
    for _ in range(80):
        x, y, r = rng.randrange(1920), rng.randrange(1080), rng.randrange(10, 120)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=tuple(rng.randrange(256) for _ in range(3)))
    noise = Image.effect_noise((1920, 1080), 12).convert("RGB")
    image = Image.blend(image, noise, 0.15)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


# --- processes -----------------------------------------------------------------------------


def server_env(database_url: str, connection_string: str, container: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_ENV="test",
        DJANGO_SETTINGS_MODULE="community.settings.test",
        DATABASE_URL=database_url,
        DATABASE_POOL_MAX_SIZE="4",
        CELERY_TASK_ALWAYS_EAGER="0",
        UGC_AZURE_CONNECTION_STRING=connection_string,
        UGC_AZURE_CONTAINER=container,
        UGC_AZURE_UPLOAD_CONCURRENCY=UPLOAD_CONCURRENCY,
        PYTHONUNBUFFERED="1",
    )
    return env


def wait_http(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("server exited")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError("server did not start")


@contextmanager
def http_server(kind: str, env: dict[str, str], log: Path) -> Iterator[tuple[int, int]]:
    """(port, pid of the process that serves requests)."""
    from community.server import daphne_argv

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    if kind == "gunicorn":
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "community.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "600",
        ]
    else:
        argv = daphne_argv(host="127.0.0.1", port=port)
    with log.open("w") as out:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_http(port, process)
        serving = children(process.pid)[0] if kind == "gunicorn" else process.pid
        yield port, serving
    finally:
        process.terminate()
        process.wait(timeout=30)


def post_file(
    port: int, path: str, token: str, fields: dict[str, str], file: Path
) -> tuple[int, bytes]:
    """Multipart POST over a raw socket; the file goes with ``sendfile`` (a cheap client)."""
    boundary = uuid.uuid4().hex
    head = (
        b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        )
        + (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file.name}"'
            "\r\nContent-Type: application/zip\r\n\r\n"
        ).encode()
    )
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head) + file.stat().st_size + len(tail)
    with socket.create_connection(("127.0.0.1", port), timeout=600) as sock:
        sock.sendall(
            (
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
            ).encode()
            + head
        )
        with file.open("rb") as source:
            sock.sendfile(source)
        sock.sendall(tail)
        response = b""
        while chunk := sock.recv(65536):
            response += chunk
    status = int(response.split(b" ", 2)[1])
    return status, response


def discard_server() -> tuple[int, threading.Thread, list[float]]:
    """A server that reads and drops one request body: the calibration sink (in a thread of
    this process; its CPU is this process's minus the client's, measured on the thread)."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    cpu: list[float] = []

    def serve() -> None:
        connection, _ = listener.accept()
        started = time.thread_time()
        with connection:
            while connection.recv_into(buffer := bytearray(1 << 20)):
                pass
            del buffer
        cpu.append(time.thread_time() - started)
        listener.close()

    thread = threading.Thread(target=serve)
    thread.start()
    return port, thread, cpu


def calibration(file: Path) -> str:
    port, thread, sink_cpu = discard_server()
    size = file.stat().st_size
    started, client_cpu = time.perf_counter(), time.thread_time()
    with socket.create_connection(("127.0.0.1", port)) as sock, file.open("rb") as source:
        sock.sendfile(source)
    elapsed, client_cpu = time.perf_counter() - started, time.thread_time() - client_cpu
    thread.join()
    return (
        f"calibration: raw client → discarding server: {size / elapsed / 1e6:,.0f} MB/s "
        f"(client CPU {client_cpu / elapsed:.0%}, sink CPU {sink_cpu[0] / elapsed:.0%} "
        "of one core)"
    )


# --- 1. uploads ----------------------------------------------------------------------------


def sdk_upload(connection_string: str, container: str, file: Path) -> tuple[float, float]:
    from azure.storage.blob import BlobClient

    blob = BlobClient.from_connection_string(
        connection_string, container, f"bare/{uuid.uuid4().hex}"
    )
    started, cpu = time.perf_counter(), time.process_time()
    with file.open("rb") as source:
        blob.upload_blob(source, max_concurrency=int(UPLOAD_CONCURRENCY))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    blob.delete_blob()
    return elapsed, cpu


def api_upload(port: int, pid: int, azurite_pid: int, token: str, file: Path) -> dict[str, float]:
    import json

    Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset the peak (VmHWM) to now
    rss_before = status_kb(pid, "VmRSS")
    cpu_server, cpu_azurite = cpu_seconds(pid), cpu_seconds(azurite_pid)
    started = time.perf_counter()
    status, response = post_file(
        port, f"/api/v1/ugc/titles/{TITLE}/items", token, {"kind": "mod", "name": "Bench mod"}, file
    )
    elapsed = time.perf_counter() - started
    assert status == 201, response[-500:]
    body = response.split(b"\r\n\r\n", 1)[1]
    item_id = json.loads(body[body.index(b"{") : body.rindex(b"}") + 1])["id"]
    result = {
        "seconds": elapsed,
        "rss_growth_mb": (status_kb(pid, "VmHWM") - rss_before) / 1024,
        "server_cpu": cpu_seconds(pid) - cpu_server,
        "azurite_cpu": cpu_seconds(azurite_pid) - cpu_azurite,
    }
    import urllib.request

    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/ugc/items/{item_id}",
        method="DELETE",
        headers={"Authorization": f"Bearer {token}"},
    )
    urllib.request.urlopen(request, timeout=60)  # noqa: S310 - loopback
    return result


def summary(values: list[float], unit: str = "", scale: float = 1.0) -> str:
    return (
        f"{statistics.median(values) * scale:,.2f}{unit} "
        f"({min(values) * scale:,.2f}-{max(values) * scale:,.2f})"
    )


# --- 2. thumbnails -------------------------------------------------------------------------


def bare_pillow(images: list[bytes]) -> float:
    """Images/s: decode + the same three resizes and WebP encodes, in memory."""
    from PIL import Image

    started = time.perf_counter()
    for data in images:
        image = Image.open(io.BytesIO(data), formats=["PNG"])
        image.load()
        current = image.convert("RGB") if image.mode not in ("RGB", "RGBA") else image
        for box in (1280, 640, 320):
            current = current.copy()
            current.thumbnail((box, box), Image.Resampling.LANCZOS, reducing_gap=2.0)
            out = io.BytesIO()
            current.save(out, format="WEBP", quality=80)
    return len(images) / (time.perf_counter() - started)


def through_worker(
    version_ids: list[int], worker_pid: int, azurite_pid: int
) -> tuple[float, float, float]:
    """Images/s through the task on the worker; CPU seconds of the worker and of Azurite."""
    from apps.ugc.models import ItemVersion, Thumbnail
    from apps.ugc.storage import blob_delete
    from apps.ugc.tasks import thumbnails_make_task

    blob_delete(
        list(Thumbnail.objects.filter(version_id__in=version_ids).values_list("name", flat=True))
    )
    Thumbnail.objects.filter(version_id__in=version_ids).delete()
    ItemVersion.objects.filter(id__in=version_ids).update(thumbnail_state="pending")
    cpu_worker, cpu_azurite = cpu_seconds(worker_pid), cpu_seconds(azurite_pid)
    started = time.perf_counter()
    for version_id in version_ids:
        thumbnails_make_task.delay(version_id)
    pending = ItemVersion.objects.filter(id__in=version_ids).exclude(thumbnail_state="ready")
    while pending.exists():
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    return (
        len(version_ids) / elapsed,
        cpu_seconds(worker_pid) - cpu_worker,
        cpu_seconds(azurite_pid) - cpu_azurite,
    )


# --- main ----------------------------------------------------------------------------------


def setup_django(database_url: str, env: dict[str, str]) -> None:
    os.environ.update(
        {
            k: env[k]
            for k in (
                "DJANGO_SETTINGS_MODULE",
                "DATABASE_URL",
                "UGC_AZURE_CONNECTION_STRING",
                "UGC_AZURE_CONTAINER",
                "UGC_AZURE_UPLOAD_CONCURRENCY",
                "CELERY_TASK_ALWAYS_EAGER",
            )
        }
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("ugc_storage_init", stdout=io.StringIO())
    from community.celery import app

    # The Django-prefixed key: Celery 5.6 ignores app.conf.task_always_eager when it is set.
    app.conf["CELERY_TASK_ALWAYS_EAGER"] = False


def fixtures() -> str:
    from apps.accounts.services import api_token_create
    from apps.players.services import player_register
    from apps.titles.models import Title

    Title.objects.create(slug=TITLE, name="Bench Arena")
    player = player_register(
        username="bencher",
        email="b@bench.test",
        password="a-long-passphrase",
        display_name="Bencher",
    )
    return api_token_create(user=player.user, name="bench").secret


def upload_runs(
    runs: int,
    ours_once: Callable[[], dict[str, float]],
    bare_once: Callable[[], tuple[float, float]],
) -> tuple[list[dict[str, float]], list[tuple[float, float]]]:
    """Interleaved runs, the order rotating each time."""
    ours: list[dict[str, float]] = []
    bare: list[tuple[float, float]] = []
    for run in range(runs):
        if run % 2 == 0:
            ours.append(ours_once())
            bare.append(bare_once())
        else:
            bare.append(bare_once())
            ours.append(ours_once())
    return ours, bare


def upload_block(
    args: argparse.Namespace, env: dict, azurite_pid: int, token: str, mod: Path, work: Path
) -> None:
    connection_string, container = env["UGC_AZURE_CONNECTION_STRING"], env["UGC_AZURE_CONTAINER"]
    size_mb = mod.stat().st_size / 1e6
    print(f"\n1. upload of a {size_mb:,.0f} MB mod (ZIP, {UPLOAD_CONCURRENCY} parallel blocks)")
    for server in ("gunicorn", "daphne"):
        with http_server(server, env, work / f"{server}.log") as (port, pid):
            load_before = loadavg()
            ours, bare = upload_runs(
                args.runs,
                lambda: api_upload(port, pid, azurite_pid, token, mod),
                lambda: sdk_upload(connection_string, container, mod),
            )
            ours_s = [r["seconds"] for r in ours]
            bare_s = [seconds for seconds, _cpu in bare]
            ratio = statistics.median(bare_s) / statistics.median(ours_s)
            growth = [r["rss_growth_mb"] for r in ours]
            rss = f"max {max(growth):,.1f} MB (median {statistics.median(growth):,.1f})"
            print(
                f"  {server:<8} ours {summary(ours_s, ' s')}"
                f" {size_mb / statistics.median(ours_s):,.0f} MB/s"
                f" | bare SDK {summary(bare_s, ' s')}"
                f" {size_mb / statistics.median(bare_s):,.0f} MB/s"
                f" | ours/bare {ratio:.2f} (target >= 0.70)"
            )
            print(
                f"           peak RSS growth of the serving process {rss} (target <= 64 MB);"
                f" CPU s per upload: server {summary([r['server_cpu'] for r in ours])},"
                f" Azurite {summary([r['azurite_cpu'] for r in ours])},"
                f" bare SDK client {summary([cpu for _s, cpu in bare])};"
                f" load {load_before} -> {loadavg()}"
            )


def thumbnail_block(args: argparse.Namespace, env: dict, azurite_pid: int, work: Path) -> None:
    from apps.players.models import Player
    from apps.titles.models import Title
    from apps.ugc.services.fields import ItemInput
    from apps.ugc.services.items import item_create
    from apps.ugc.validation import ReceivedFile

    images = [screenshot(seed) for seed in range(args.images)]
    title, creator = Title.objects.get(slug=TITLE), Player.objects.get(display_name="Bencher")
    version_ids = []
    for seed, data in enumerate(images):
        with tempfile.TemporaryFile() as spool:
            spool.write(data)
            received = ReceivedFile(
                file=spool,
                size=len(data),
                filename="s.png",
                sha256=hashlib.sha256(data).hexdigest(),
            )
            item = item_create(
                creator=creator,
                title=title,
                received=received,
                data=ItemInput(kind="screenshot", name=f"Shot {seed}"),
                is_rate_counted=True,  # setup, not a player: --images may exceed the limit
            )
        version_ids.append(item.versions.get().id)
    print(f"\n2. thumbnails of {len(images)} 1920x1080 PNG screenshots (3 WebP sizes each)")
    log = (work / "worker.log").open("w")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "community",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        time.sleep(8)
        through_worker(version_ids[:4], worker.pid, azurite_pid)  # warm up
        load_before = loadavg()
        count = len(version_ids)
        ours, bare, ours_ms, azurite_ms, bare_ms = [], [], [], [], []
        for run in range(args.runs):
            for step in ("ours", "bare") if run % 2 == 0 else ("bare", "ours"):
                if step == "ours":
                    rate, cpu_worker, cpu_azurite = through_worker(
                        version_ids, worker.pid, azurite_pid
                    )
                    ours.append(rate)
                    ours_ms.append(cpu_worker / count * 1000)
                    azurite_ms.append(cpu_azurite / count * 1000)
                else:
                    started = time.process_time()
                    bare.append(bare_pillow(images))
                    bare_ms.append((time.process_time() - started) / len(images) * 1000)
        ratio = statistics.median(ours) / statistics.median(bare)
        cpu_ratio = statistics.median(bare_ms) / statistics.median(ours_ms)
        print(
            f"  ours (Celery task, solo worker) {summary(ours, ' img/s')} | bare Pillow"
            f" {summary(bare, ' img/s')} | ours/bare {ratio:.2f} (target >= 0.80)"
        )
        print(
            f"  CPU ms per image: worker {summary(ours_ms)} (+ Azurite {summary(azurite_ms)}),"
            f" bare Pillow {summary(bare_ms)} | bare/ours CPU {cpu_ratio:.2f};"
            f" load {load_before} -> {loadavg()}"
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--mod-mb", type=int, default=200)
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--skip", choices=["upload", "thumbnails"], default=None)
    args = parser.parse_args()
    from tests.support.azurite import run_azurite

    database_url = scratch_database(os.environ["DATABASE_URL"], "_bench_ugc")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    with (
        tempfile.TemporaryDirectory() as scratch,
        run_azurite(Path(scratch) / "azurite") as azurite,
    ):
        work = Path(scratch)
        env = server_env(database_url, azurite.connection_string, f"bench-{uuid.uuid4().hex[:8]}")
        setup_django(database_url, env)
        token = fixtures()
        mod = work / "mod.zip"
        make_mod(mod, args.mod_mb)
        print(f"bench/ugc.py at {commit}; {os.cpu_count()} CPUs; load {loadavg()}")
        print(calibration(mod))
        if args.skip != "upload":
            upload_block(args, env, azurite.process.pid, token, mod, work)
        if args.skip != "thumbnails":
            thumbnail_block(args, env, azurite.process.pid, work)


if __name__ == "__main__":
    main()
