"""Test hosts on one machine: a network namespace per host, each with its own address on a
bridge in the root namespace (where the tests run as clients).

Every name and the subnet are unique per run, so runs side by side do not meet; everything is
removed on exit, killed processes included.
"""

import contextlib
import ipaddress
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


def _ip(*arguments: str) -> None:
    subprocess.run(["ip", *arguments], check=True, capture_output=True, text=True)


def _free_subnet() -> ipaddress.IPv4Network:
    routes = subprocess.run(["ip", "-4", "route"], capture_output=True, text=True).stdout
    for _ in range(50):
        subnet = ipaddress.IPv4Network(
            f"10.{random.randint(200, 250)}.{random.randint(0, 255)}.0/24"
        )
        if str(subnet) not in routes:
            return subnet
    raise RuntimeError("no free 10.x subnet for the test hosts")


@dataclass
class Host:
    name: str
    namespace: str
    address: str
    processes: list[subprocess.Popen] = field(default_factory=list)

    def wait_for_port(self, port: int, *, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"{self.name}: {process.args} exited {process.returncode}")
            try:
                with socket.create_connection((self.address, port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise TimeoutError(f"{self.name}: port {port} did not open")


class HostNetwork:
    """``with HostNetwork(tmp) as network: host = network.host("db")``."""

    def __init__(self, work_dir: Path) -> None:
        self.work_dir = work_dir
        self.tag = f"{os.getpid() % 10000}{random.randint(0, 99):02d}"
        self.bridge = f"cb{self.tag}"
        self.subnet = _free_subnet()
        self.gateway = str(self.subnet.network_address + 1)  # the root namespace: the clients
        self.hosts: dict[str, Host] = {}
        self.cleanup: list[Path] = []

    def __enter__(self) -> "HostNetwork":
        _ip("link", "add", self.bridge, "type", "bridge")
        _ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        return self

    def __exit__(self, *exc: object) -> None:
        for host in self.hosts.values():
            for process in host.processes:
                self.kill(process)
            subprocess.run(["ip", "netns", "del", host.namespace], capture_output=True)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)
        for path in self.cleanup:
            shutil.rmtree(path, ignore_errors=True)

    def host(self, name: str) -> Host:
        index = len(self.hosts) + 10
        namespace, veth = f"ch{self.tag}-{name}", f"v{self.tag}{index}"
        address = str(self.subnet.network_address + index)
        _ip("netns", "add", namespace)
        _ip("link", "add", veth, "type", "veth", "peer", "name", f"{veth}p")
        _ip("link", "set", f"{veth}p", "netns", namespace)
        _ip("link", "set", veth, "master", self.bridge)
        _ip("link", "set", veth, "up")
        _ip("-n", namespace, "addr", "add", f"{address}/24", "dev", f"{veth}p")
        _ip("-n", namespace, "link", "set", f"{veth}p", "up")
        _ip("-n", namespace, "link", "set", "lo", "up")
        host = Host(name=name, namespace=namespace, address=address)
        self.hosts[name] = host
        return host

    def start(
        self, host: Host, argv: Sequence[str], *, env: dict[str, str], log: str, cwd: Path
    ) -> subprocess.Popen:
        """Start ``argv`` on ``host`` (its own process group), output in ``<work_dir>/<log>``."""
        with (self.work_dir / log).open("ab") as output:
            process = subprocess.Popen(
                ["ip", "netns", "exec", host.namespace, *argv],
                cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        host.processes.append(process)
        return process

    @staticmethod
    def kill(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
        """Signal the process's whole group (a worker's children too) and reap it."""
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def log(self, name: str) -> str:
        path = self.work_dir / name
        return path.read_text(errors="replace") if path.exists() else ""


def postgres_start(network: HostNetwork, host: Host, *, cwd: Path) -> None:
    """A throwaway PostgreSQL cluster on ``host`` (trust authentication inside the subnet)."""
    binaries = Path(sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1])
    # Not under pytest's temporary folder: its parents are readable by root only.
    data = Path(tempfile.mkdtemp(prefix="scaleout-pg."))
    network.cleanup.append(data)
    shutil.chown(data, "postgres", "postgres")
    as_postgres = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]
    subprocess.run([*as_postgres, str(binaries / "initdb"), "-D", str(data / "cluster"),
                    "-A", "trust", "-U", "postgres", "--no-sync"],
                   check=True, capture_output=True)  # fmt: skip
    (data / "cluster" / "pg_hba.conf").write_text(
        f"local all all trust\nhost all all {network.subnet} trust\n"
    )
    network.start(
        host,
        [*as_postgres, str(binaries / "postgres"), "-D", str(data / "cluster"),
         "-c", f"listen_addresses={host.address}", "-c", f"unix_socket_directories={data}",
         "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "max_connections=300"],
        env={"PATH": os.environ["PATH"]}, log="postgres.log", cwd=cwd,
    )  # fmt: skip
    host.wait_for_port(5432)
