"""The self-hosted deployment files pass their own tools: `nginx -t`, `systemd-analyze
verify`, `docker-compose config -q`, hadolint, and checkov over the Dockerfile and the Azure
templates (parse errors fail too). Compose has no checkov framework, so the same promises are
asserted on its parsed configuration here."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.infra.support import AZURE, BASE_DIR, SELFHOSTED, tool

UNITS = sorted((SELFHOSTED / "systemd").iterdir())
EXECUTABLES = ["gunicorn", "python", "celery"]


def _run(
    *command: str, cwd: Path = BASE_DIR, env: dict | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, check=False, timeout=600,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def _nginx_test(tmp_path: Path, site: str) -> subprocess.CompletedProcess:
    """`nginx -t` on ``site`` inside a minimal main configuration, certificates made here."""
    certificates = tmp_path / "ssl"
    certificates.mkdir()
    made = _run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-subj", "/CN=community.example.com",
                "-keyout", str(certificates / "privkey.pem"),
                "-out", str(certificates / "fullchain.pem"))  # fmt: skip
    assert made.returncode == 0, made.stderr
    (tmp_path / "site.conf").write_text(site.replace("/etc/ssl/community/", f"{certificates}/"))
    temporary = " ".join(
        f"{kind}_temp_path {tmp_path}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ access_log off; {temporary} include {tmp_path}/site.conf; }}\n"
    )
    return _run(tool("nginx"), "-t", "-c", str(tmp_path / "nginx.conf"), "-e",
                str(tmp_path / "error.log"))  # fmt: skip


def test_nginx_accepts_the_host_configuration(tmp_path):
    checked = _nginx_test(tmp_path, (SELFHOSTED / "nginx" / "community.conf").read_text())
    assert checked.returncode == 0, checked.stderr


def test_nginx_accepts_the_compose_configuration(tmp_path):
    site = (SELFHOSTED / "nginx" / "compose.conf").read_text()
    # compose's service names resolve only inside compose; any address will do for -t.
    site = site.replace("asgi:8000", "127.0.0.1:8001").replace("web:8000", "127.0.0.1:8000")
    checked = _nginx_test(tmp_path, site)
    assert checked.returncode == 0, checked.stderr


def test_nginx_test_fails_on_a_broken_configuration(tmp_path):
    checked = _nginx_test(tmp_path, "server { listen 80; proxy_pass; }")
    assert checked.returncode != 0


def test_nginx_overwrites_the_forwarded_address_in_every_proxied_location():
    """Each location that proxies sets X-Forwarded-For to the address nginx saw (one
    proxy_set_header in a location drops the inherited ones), never appends the client's."""
    for name in ("community.conf", "compose.conf"):
        site = (SELFHOSTED / "nginx" / name).read_text()
        overwrites = re.findall(r"proxy_set_header\s+X-Forwarded-For\s+\$remote_addr;", site)
        assert len(overwrites) == site.count("proxy_pass "), name
        assert "proxy_add_x_forwarded_for" not in site, name


def _system_root(tmp_path: Path) -> Path:
    """A file system root with systemd's own units, ours, and stand-ins for our executables."""
    root = tmp_path / "root"
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    units = root / "etc/systemd/system"
    units.mkdir(parents=True)
    for unit in UNITS:
        shutil.copy(unit, units / unit.name)
    binaries = root / "opt/community/.venv/bin"
    binaries.mkdir(parents=True)
    for name in EXECUTABLES:
        (binaries / name).write_text("#!/bin/sh\n")
        (binaries / name).chmod(0o755)
    (root / "bin").mkdir()
    shutil.copy("/bin/kill", root / "bin/kill")
    (root / "tmp").mkdir()
    return root


def _verify(root: Path, *units: str) -> subprocess.CompletedProcess:
    return _run(tool("systemd-analyze"), "verify", "--man=no", "--generators=no",
                f"--root={root}", *units, cwd=root / "etc/systemd/system")  # fmt: skip


def test_systemd_verifies_every_unit_with_no_warning(tmp_path):
    root = _system_root(tmp_path)
    instances = ["community-daphne@8001.service", "community-worker@1.service"]
    plain = [unit.name for unit in UNITS if "@" not in unit.name]

    verified = _verify(root, *plain, *instances)

    assert (verified.returncode, verified.stderr) == (0, "")


def test_systemd_verify_sees_a_missing_executable(tmp_path):
    root = _system_root(tmp_path)
    (root / "opt/community/.venv/bin/celery").unlink()

    assert _verify(root, "community-beat.service").returncode != 0


def _unit_settings(unit: Path) -> dict[str, str]:
    """The unit's ``Key=value`` lines (our units set each key once)."""
    lines = [line.strip() for line in unit.read_text().splitlines()]
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def test_every_process_restarts_by_itself_and_is_never_parked_as_failed():
    """A worker killed by a broker outage (or anything else) comes back with no hand, however
    often it dies: systemd's start limit would otherwise leave it stopped for good."""
    services = [unit for unit in UNITS if unit.suffix == ".service"]
    assert {unit.name for unit in services} >= {
        "community-worker@.service", "community-events.service", "community-beat.service",
    }  # fmt: skip
    for unit in services:
        settings = _unit_settings(unit)
        assert settings.get("Restart") == "always", unit.name
        assert 1 <= int(settings["RestartSec"]) <= 10, unit.name
        assert settings.get("StartLimitIntervalSec") == "0", unit.name


def test_no_deployment_turns_on_gunicorns_plain_access_log():
    """docs/operations.md, "Logs": production logs are JSON lines and never carry personal
    data; gunicorn's access log is a plain line with the client's address per request, so no
    way of running the web process turns it on (gunicorn's default is off)."""
    definitions = [
        SELFHOSTED / "systemd" / "community-web.service",
        SELFHOSTED / "Dockerfile",
        SELFHOSTED / "compose.yaml",
        AZURE / "modules" / "containerapps.bicep",
        BASE_DIR / "community" / "gunicorn.py",
    ]
    for definition in definitions:
        text = definition.read_text()
        assert not re.search(r"access[-_]?log", text, re.IGNORECASE), definition.name
    assert "gunicorn" in (SELFHOSTED / "systemd" / "community-web.service").read_text()


def test_hadolint_passes_the_dockerfile():
    linted = _run(tool("hadolint"), str(SELFHOSTED / "Dockerfile"))
    assert linted.returncode == 0, linted.stdout + linted.stderr


# checkov must not try to reach Prisma Cloud from CI (the network is closed).
OFFLINE = {"BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}


def _checkov(*arguments: str) -> dict:
    scanned = _run(tool("checkov"), *arguments, "--skip-download", "--quiet", "-o", "json",
                   "--config-file", str(BASE_DIR / "infra" / ".checkov.yaml"),
                   env=OFFLINE)  # fmt: skip
    report = json.loads(scanned.stdout)
    assert isinstance(report, dict), report  # one framework per call: one report
    return report


@pytest.mark.slow
def test_checkov_passes_the_azure_templates_with_no_parse_error():
    report = _checkov("-d", str(AZURE), "--framework", "bicep")
    summary = report["summary"]
    failed = [check["check_id"] for check in report["results"].get("failed_checks", [])]
    assert (summary["failed"], summary["parsing_errors"], failed) == (0, 0, [])
    assert summary["passed"] > 0


def test_checkov_passes_the_dockerfile():
    report = _checkov("-f", str(SELFHOSTED / "Dockerfile"), "--framework", "dockerfile")
    assert (report["summary"]["failed"], report["summary"]["parsing_errors"]) == (0, 0)
    assert report["summary"]["passed"] > 0


COMPOSE_SECRETS = {"COMMUNITY_SECRET_KEY": "x" * 50, "POSTGRES_PASSWORD": "secret"}


def _compose() -> dict:
    checked = _run(tool("docker-compose"), "-f", str(SELFHOSTED / "compose.yaml"), "config",
                   env=COMPOSE_SECRETS)  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    return yaml.safe_load(checked.stdout)


def test_compose_config_is_valid_and_refuses_to_start_without_its_secrets():
    _compose()
    missing = _run(tool("docker-compose"), "-f", str(SELFHOSTED / "compose.yaml"), "config", "-q",
                   env={"COMMUNITY_SECRET_KEY": "", "POSTGRES_PASSWORD": ""})  # fmt: skip
    assert missing.returncode != 0
    assert "COMMUNITY_SECRET_KEY" in missing.stderr or "POSTGRES_PASSWORD" in missing.stderr


def test_compose_services_run_locked_down_and_only_nginx_is_published():
    services = _compose()["services"]
    ours = {"migrate", "web", "asgi", "worker", "beat", "events"}
    assert ours <= set(services)
    for name in ours:
        service = services[name]
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert "privileged" not in service, name
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"nginx"}


def test_every_long_running_compose_service_restarts_by_itself():
    """Docker restarts a container whose process exits (a worker after a broker outage);
    only the one-shot migration runs once."""
    services = _compose()["services"]
    for name, service in services.items():
        expected = "no" if name == "migrate" else "unless-stopped"
        assert service.get("restart", "no") == expected, name
