"""Scale-out across hosts on one machine: each "host" is a network namespace with its own
address. nginx (infra/selfhosted/nginx/community.conf, TLS) fronts two Daphne hosts and a
gunicorn host; two Celery workers, the game-event consumer, PostgreSQL and two Redis instances
(the channel layer sharded over both) run on hosts of their own; production settings.

Clients connect through nginx only, exactly as players would.
"""

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from community_chat import ChatClient

from community.server import daphne_argv
from tests.game_events.events import cloud_event
from tests.game_events.servicebus import publish
from tests.infra.network import Host, HostNetwork, postgres_start
from tests.infra.support import BASE_DIR, SELFHOSTED, tool

pytestmark = [pytest.mark.slow, pytest.mark.scaleout]

PLAYERS = 12
PLAIN_ENV = {"PATH": os.environ["PATH"]}
SEED = """
import json
from apps.accounts.services import api_token_create
from apps.chat.channels import lobby_channel_get_or_create
from apps.players.services import player_register
from apps.titles.models import Title
title = Title.objects.create(slug="starfall-arena", name="Starfall Arena")
lobby = lobby_channel_get_or_create(title=title)
tokens = []
for index in range({players}):
    player = player_register(username=f"p{{index}}", email=f"p{{index}}@example.com",
                             password="a-long-password-1", display_name=f"Player {{index}}")
    tokens.append(api_token_create(user=player.user, name="scaleout").secret)
print(json.dumps({{"lobby": lobby.id, "tokens": tokens}}))
"""


@dataclass
class Cluster:
    network: HostNetwork
    hosts: dict[str, Host]
    env: dict[str, str]
    lobby: int
    tokens: list[str]
    ws_url: str
    servicebus: str

    def daphne_start(self, name: str) -> None:
        host = self.hosts[name]
        host.processes = [p for p in host.processes if p.poll() is None]
        argv = daphne_argv(host=host.address, port=8000, python=sys.executable)
        self.network.start(host, argv, env=self.env, log=f"{name}.log", cwd=BASE_DIR)
        host.wait_for_port(8000)

    def daphne_stop(self, name: str, *, graceful: bool) -> None:
        import signal

        for process in self.hosts[name].processes:
            self.network.kill(process, signal.SIGTERM if graceful else signal.SIGKILL)
        self.hosts[name].processes = []

    def sockets_on(self, name: str) -> int:
        """Established websocket connections nginx holds to this Daphne host."""
        listed = subprocess.run(
            ["ip", "netns", "exec", self.hosts[name].namespace, "ss", "-Htn", "state",
             "established", "( sport = :8000 )"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        return len([line for line in listed.splitlines() if line.strip()])


def _manage(env: dict[str, str], *arguments: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *arguments], cwd=BASE_DIR, env=env,
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def _nginx_site(cluster_hosts: dict[str, Host], certificates: Path, static: Path) -> str:
    site = (SELFHOSTED / "nginx" / "community.conf").read_text()
    site = re.sub(
        r"upstream community_daphne \{.*?\}",
        "upstream community_daphne { least_conn; "
        + " ".join(
            f"server {cluster_hosts[name].address}:8000 max_fails=1 fail_timeout=2s;"
            for name in ("asgi1", "asgi2")
        )
        + " }",
        site,
        flags=re.S,
    )
    site = site.replace("server 127.0.0.1:8000;", f"server {cluster_hosts['web'].address}:8000;")
    site = site.replace("/etc/ssl/community/", f"{certificates}/")
    site = site.replace("/var/lib/community/static/", f"{static}/")
    return site.replace("listen [::]:80;", "").replace("listen [::]:443 ssl http2;", "")


def _nginx_start(network: HostNetwork, proxy: Host, site: str) -> None:
    work = network.work_dir / "nginx"
    work.mkdir()
    (work / "site.conf").write_text(site)
    temporary = " ".join(
        f"{kind}_temp_path {work}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (work / "nginx.conf").write_text(
        f"daemon off; pid {work}/nginx.pid; error_log {work}/error.log;\n"
        f"events {{ worker_connections 4096; }}\n"
        f"http {{ access_log off; {temporary} include {work}/site.conf; }}\n"
    )
    argv = [tool("nginx"), "-c", str(work / "nginx.conf"), "-e", str(work / "error.log")]
    network.start(proxy, argv, env=PLAIN_ENV, log="nginx.log", cwd=BASE_DIR)
    proxy.wait_for_port(443)


def _certificate(directory: Path, address: str) -> None:
    directory.mkdir()
    made = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=community.test", "-addext", f"subjectAltName=IP:{address}",
         "-keyout", str(directory / "privkey.pem"), "-out", str(directory / "fullchain.pem")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    work = tmp_path_factory.mktemp("scaleout")
    with HostNetwork(work) as network:
        hosts = {name: network.host(name) for name in (
            "db", "redis1", "redis2", "web", "asgi1", "asgi2", "worker1", "worker2", "events",
            "proxy")}  # fmt: skip
        postgres_start(network, hosts["db"], cwd=BASE_DIR)
        subprocess.run(["createdb", "-h", hosts["db"].address, "-U", "postgres", "community"],
                       check=True, capture_output=True)  # fmt: skip
        for name in ("redis1", "redis2"):
            network.start(hosts[name], [tool("redis-server"), "--bind", hosts[name].address,
                          "--port", "6379", "--save", "", "--appendonly", "no",
                          "--protected-mode", "no"],
                          env=PLAIN_ENV, log=f"{name}.log", cwd=BASE_DIR)  # fmt: skip
            hosts[name].wait_for_port(6379)
        redis1, redis2 = (f"redis://{hosts[name].address}:6379" for name in ("redis1", "redis2"))
        env = {
            "PATH": os.environ["PATH"],
            "PYTHONUNBUFFERED": "1",
            "DJANGO_ENV": "production",
            "DJANGO_SECRET_KEY": "scale-out-test-" + "k" * 40,
            "DJANGO_ALLOWED_HOSTS": hosts["proxy"].address,
            "DATABASE_URL": f"postgres://postgres@{hosts['db'].address}:5432/community",
            "DATABASE_POOL_MAX_SIZE": "4",
            "REDIS_URL": f"{redis1}/0",
            "CHANNEL_LAYER_URLS": f"{redis1}/0,{redis2}/0",
            "CELERY_BROKER_URL": f"{redis1}/1",
            "COMMUNITY_VAR_DIR": str(work / "var"),
            "TRUSTED_PROXY_COUNT": "1",
            "GAME_EVENTS_CONSUMERS": "0",
            # Chat's per-player limits stay in production form; the senders here are several.
            "API_THROTTLE_USER": "100000/min",
        }
        _manage(env, "migrate", "--noinput", "-v0")
        _manage(env, "collectstatic", "--noinput", "-v0")
        seeded = json.loads(
            _manage(env, "shell", "-c", SEED.format(players=PLAYERS)).splitlines()[-1]
        )
        network.start(hosts["web"], [sys.executable, "-m", "gunicorn", "community.wsgi:application",
                      "--bind", f"{hosts['web'].address}:8000", "--workers", "2"],
                      env=env, log="web.log", cwd=BASE_DIR)  # fmt: skip
        for name in ("worker1", "worker2"):
            network.start(hosts[name], [sys.executable, "-m", "celery", "-A", "community",
                          "worker", "--hostname", f"{name}@%h", "--concurrency", "2",
                          "--loglevel", "INFO", "--without-mingle", "--without-gossip"],
                          env=env, log=f"{name}.log", cwd=BASE_DIR)  # fmt: skip
        broker = subprocess.Popen(
            [sys.executable, "-m", "tests.servicebus.broker", "--host", network.gateway,
             "--topic", "game-events", "--subscription", "game-events/community",
             "--lock-duration", "30"],
            cwd=BASE_DIR, stdout=subprocess.PIPE, text=True, start_new_session=True,
        )  # fmt: skip
        assert broker.stdout is not None
        broker.stdout.readline()  # PORT <n>
        servicebus = broker.stdout.readline().strip()
        network.start(hosts["events"], [sys.executable, "manage.py", "consume_events"],
                      env={**env, "SERVICEBUS_CONNECTION_STRING": servicebus},
                      log="events.log", cwd=BASE_DIR)  # fmt: skip
        hosts["web"].wait_for_port(8000)
        certificates = work / "ssl"
        _certificate(certificates, hosts["proxy"].address)
        _nginx_start(network, hosts["proxy"],
                     _nginx_site(hosts, certificates, work / "var" / "static"))  # fmt: skip
        cluster = Cluster(
            network=network, hosts=hosts, env=env, lobby=seeded["lobby"],
            tokens=seeded["tokens"], ws_url=f"wss://{hosts['proxy'].address}/ws/",
            servicebus=servicebus,
        )  # fmt: skip
        for name in ("asgi1", "asgi2"):
            cluster.daphne_start(name)
        os.environ["SSL_CERT_FILE"] = str(certificates / "fullchain.pem")
        try:
            yield cluster
        finally:
            os.environ.pop("SSL_CERT_FILE", None)
            network.kill(broker)


async def _connect_all(cluster: Cluster) -> list[ChatClient]:
    clients = [ChatClient(cluster.ws_url, token, backoff_initial=0.1, backoff_max=1.0)
               for token in cluster.tokens]  # fmt: skip
    for client in clients:
        await client.connect()
        await client.subscribe([cluster.lobby])
    return clients


async def _received(client: ChatClient, channel: int, count: int, timeout: float) -> list[int]:
    """The seqs ``client`` delivered on ``channel`` until it has ``count`` or time runs out."""
    seqs: list[int] = []
    deadline = time.monotonic() + timeout
    while len(seqs) < count and time.monotonic() < deadline:
        try:
            delivery = await asyncio.wait_for(client.deliveries.get(), 1.0)
        except TimeoutError:
            continue
        if delivery.channel_id == channel:
            seqs.append(delivery.message["seq"])
    return seqs


async def _send_series(clients: list[ChatClient], lobby: int, count: int, pause: float) -> None:
    senders = clients[:4]  # four players, each inside chat's per-player rate limit
    for index in range(count):
        await senders[index % len(senders)].send(lobby, f"m{index}")
        await asyncio.sleep(pause)


async def _close(clients: list[ChatClient]) -> None:
    await asyncio.gather(*(client.close() for client in clients), return_exceptions=True)


def test_clients_through_nginx_land_on_both_daphne_hosts_and_chat_across_them(cluster):
    async def journey() -> None:
        clients = await _connect_all(cluster)
        try:
            assert cluster.sockets_on("asgi1") > 0 and cluster.sockets_on("asgi2") > 0
            assert cluster.sockets_on("asgi1") + cluster.sockets_on("asgi2") == PLAYERS
            start = [client.last_seq.get(cluster.lobby, 0) for client in clients]
            sender = asyncio.create_task(_send_series(clients, cluster.lobby, 20, 0.05))
            received = await asyncio.gather(
                *(_received(client, cluster.lobby, 20, 30) for client in clients)
            )
            await sender
            for begin, seqs in zip(start, received, strict=True):
                assert seqs == list(range(begin + 1, begin + 21))
        finally:
            await _close(clients)

    asyncio.run(journey())


def _assert_each_message_once_in_order(received: list[list[int]], first: int, count: int) -> None:
    for seqs in received:
        assert seqs == list(range(first, first + count)), seqs


def test_a_daphne_host_killed_mid_stream_its_clients_resume_on_the_other_with_no_gap(cluster):
    async def journey() -> None:
        clients = await _connect_all(cluster)
        try:
            first = max(client.last_seq.get(cluster.lobby, 0) for client in clients) + 1
            sender = asyncio.create_task(_send_series(clients[6:], cluster.lobby, 40, 0.1))
            receivers = [
                asyncio.create_task(_received(client, cluster.lobby, 40, 60)) for client in clients
            ]
            await asyncio.sleep(1.5)
            cluster.daphne_stop("asgi1", graceful=False)
            await sender
            received = await asyncio.gather(*receivers)
            _assert_each_message_once_in_order(received, first, 40)
            assert cluster.sockets_on("asgi2") == PLAYERS
            assert sum(client.reconnects for client in clients) > 0
        finally:
            await _close(clients)
            cluster.daphne_start("asgi1")

    asyncio.run(journey())


def test_a_rolling_restart_of_both_daphne_hosts_loses_no_message(cluster):
    async def journey() -> None:
        clients = await _connect_all(cluster)
        try:
            first = max(client.last_seq.get(cluster.lobby, 0) for client in clients) + 1
            sender = asyncio.create_task(_send_series(clients, cluster.lobby, 60, 0.1))
            receivers = [
                asyncio.create_task(_received(client, cluster.lobby, 60, 90)) for client in clients
            ]
            for name in ("asgi1", "asgi2"):
                await asyncio.sleep(1.0)
                await asyncio.to_thread(cluster.daphne_stop, name, graceful=True)
                await asyncio.to_thread(cluster.daphne_start, name)
            await sender
            received = await asyncio.gather(*receivers)
            _assert_each_message_once_in_order(received, first, 60)
        finally:
            await _close(clients)

    asyncio.run(journey())


def test_tasks_spread_over_both_workers(cluster):
    send = (
        "from community.celery import app\n"
        "for _ in range(40): app.send_task('game_events.apply_pending')\n"
    )
    _manage(cluster.env, "shell", "-c", send)
    deadline = time.monotonic() + 60
    counts: dict[str, int] = {}
    while time.monotonic() < deadline:
        counts = {
            name: cluster.network.log(f"{name}.log").count("game_events.apply_pending[")
            for name in ("worker1", "worker2")
        }
        if sum(counts.values()) >= 80:  # each task logs "received" and "succeeded"
            break
        time.sleep(0.5)
    assert sum(counts.values()) >= 80, counts
    assert counts["worker1"] > 0 and counts["worker2"] > 0, counts


COUNTS = """
import json
from django.db.models import Sum
from apps.game_events.models import InboxEvent
from apps.players.models import PlayerTitleStats
print(json.dumps({
    "states": {state: InboxEvent.objects.filter(state=state).count()
               for state in ("received", "applied", "failed", "dead_lettered")},
    "matches": PlayerTitleStats.objects.aggregate(total=Sum("matches_played"))["total"] or 0,
}))
"""


def _match(index: int) -> dict:
    def player(side: str) -> dict:
        name = f"m{index}{side}"
        return {"provider": "custom", "external_id": f"scaleout-{name}", "display_name": name}

    data = {
        "match_id": f"scaleout-{index}", "mode": "ranked-5v5", "duration_seconds": 600,
        "players": [
            {"player": player("a"), "team": "red", "outcome": "win", "score": 10},
            {"player": player("b"), "team": "blue", "outcome": "loss", "score": 5},
        ],
    }  # fmt: skip
    return cloud_event("match.completed", data=data, event_id=f"scaleout-match-{index}")


def test_events_through_service_bus_a_worker_killed_mid_stream_loses_and_doubles_nothing(cluster):
    """300 matches through the consumer host; one worker host is killed (SIGKILL, its whole
    process group) while the workers apply them: every match counts exactly once."""
    events = [_match(index) for index in range(300)]
    publish(cluster.servicebus, events[:100])
    deadline = time.monotonic() + 60
    while "game_events.apply_pending[" not in cluster.network.log("worker1.log"):
        assert time.monotonic() < deadline, "worker1 never started applying"
        time.sleep(0.1)
    for process in cluster.hosts["worker1"].processes:
        cluster.network.kill(process)
    publish(cluster.servicebus, events[100:])

    deadline = time.monotonic() + 240
    counts: dict = {}
    while time.monotonic() < deadline:
        counts = json.loads(_manage(cluster.env, "shell", "-c", COUNTS).splitlines()[-1])
        if counts["states"]["applied"] == 300:
            break
        time.sleep(2)
    assert counts["states"] == {"received": 0, "applied": 300, "failed": 0, "dead_lettered": 0}
    assert counts["matches"] == 600
