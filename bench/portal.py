"""Largest Contentful Paint and page weight of the portal's home and chat pages, in headless
Chromium driven by Playwright, on the embedded default (`make run`: SQLite, in-memory channel
layer, no other service) with the demo data (``seed_demo``). Not collected by pytest.

Pages: the visitor's home, alice's home, alice's chat on the Starfall Arena lobby
(``?channel=``: history loaded over the websocket). Each load runs in a fresh browser context
(cold HTTP cache, new session cookie copied in), so every load fetches every asset.

Reported per page: LCP (ms; median and min-max over the runs), the bytes transferred (document
plus every resource, encoded) and the uncompressed size of the page's own JS and CSS (target:
under 150 KB in total, no CDN: every request must go to the server under test).

Baseline, same run, same browser, interleaved: a static HTML page of the same shape (a heading,
a paragraph, one small stylesheet) served by Python's ``http.server`` — the floor of Chromium's
own paint on this machine. Calibration: the CPU (user + system, from ``/proc``) the server
process and the load generator (this process, Playwright's driver and Chromium's processes)
spent per load beside the wall time, and ``/proc/loadavg`` before and after each block; a load
where the server's CPU is a small share of the LCP measures the browser, not the portal.

Run::

    .venv/bin/python bench/portal.py [--runs 5]
"""

import argparse
import http.server
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEMO_PASSWORD = "community-demo"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
BUDGET_BYTES = 150 * 1024

LCP_SCRIPT = """() => new Promise((resolve) => {
  let last = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) last = entry.renderTime || entry.loadTime;
  }).observe({ type: "largest-contentful-paint", buffered: true });
  setTimeout(() => resolve(last), 300);
})"""
WEIGHT_SCRIPT = """() => {
  const entries = [performance.getEntriesByType("navigation")[0],
                   ...performance.getEntriesByType("resource")];
  let transferred = 0, ownCode = 0; const hosts = new Set();
  for (const entry of entries) {
    transferred += entry.transferSize || entry.encodedBodySize || 0;
    hosts.add(new URL(entry.name).host);
    if (/\\.(js|css)(\\?|$)/.test(entry.name)) ownCode += entry.decodedBodySize || 0;
  }
  return { transferred, ownCode, hosts: [...hosts], requests: entries.length };
}"""
BASELINE_HTML = (
    "<!doctype html><html lang=en><head><meta charset=utf-8><title>Floor</title>"
    '<link rel=stylesheet href="/floor.css"></head><body><h1>Your home for the games you play'
    "</h1><p>Profiles, guilds, chat inside and outside the game.</p></body></html>"
)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _parent_and_cpu(pid: int) -> tuple[int, float]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def client_cpu_seconds(excluded: int) -> float:
    """CPU of the load generator: this process and every descendant (Playwright's driver,
    Chromium's browser, renderer and GPU processes), except the server ``excluded`` and its
    own children. Processes that ended since are not counted (Chromium keeps its processes
    for the browser's life; contexts open renderers, counted while they run)."""
    processes: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                processes[int(entry.name)] = _parent_and_cpu(int(entry.name))
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
    me = os.getpid()

    def is_client(pid: int) -> bool:
        while pid > 1:
            if pid == excluded:
                return False
            if pid == me:
                return True
            pid = processes.get(pid, (0, 0.0))[0]
        return False

    return sum(cpu for pid, (_parent, cpu) in processes.items() if is_client(pid))


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def embedded_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_URL")}
    env.update(COMMUNITY_VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1")
    env.pop("COMMUNITY_REQUIRE_SERVICES", None)
    return env


def start_portal(var_dir: Path, port: int) -> subprocess.Popen:
    env = embedded_env(var_dir)
    python = str(ROOT / ".venv/bin/python")
    for command in (["migrate", "--noinput", "-v0"], ["seed_demo"]):
        subprocess.run([python, "manage.py", *command], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
    log = (var_dir / "server.log").open("w")
    process = subprocess.Popen(
        [python, "-m", "community.server", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    import urllib.request

    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except OSError:
            time.sleep(0.5)
    raise RuntimeError((var_dir / "server.log").read_text())


def start_floor(directory: Path) -> tuple[http.server.ThreadingHTTPServer, int]:
    (directory / "index.html").write_text(BASELINE_HTML)
    (directory / "floor.css").write_text(
        "body{font-family:system-ui;margin:2rem}h1{font-size:2rem}"
    )

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            super().__init__(*args, directory=str(directory), **kwargs)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def session_cookies(browser, base: str) -> list[dict]:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=username]").fill("alice")
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    cookies = context.cookies()
    context.close()
    return cookies


def load(browser, url: str, *, cookies: list[dict], ready: str | None) -> dict:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    if cookies:
        context.add_cookies(cookies)
    page = context.new_page()
    page.goto(url, wait_until="load")
    if ready:
        page.locator(ready).first.wait_for()
    result = {"lcp": page.evaluate(LCP_SCRIPT), **page.evaluate(WEIGHT_SCRIPT)}
    context.close()
    return result


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):7.0f} ({min(values):.0f}-{max(values):.0f})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--port", type=int, default=8791)
    arguments = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-portal-") as scratch:
        var_dir = Path(scratch)
        (var_dir / "floor").mkdir()
        floor, floor_port = start_floor(var_dir / "floor")
        portal = start_portal(var_dir, arguments.port)
        base = f"http://127.0.0.1:{arguments.port}"
        import sqlite3

        with sqlite3.connect(var_dir / "community.sqlite3") as database:
            lobby = database.execute(
                "SELECT c.id FROM chat_channel c JOIN titles_title t ON c.title_id = t.id "
                "WHERE c.kind = 'lobby' AND t.slug = 'starfall-arena' AND c.locale = ''"
            ).fetchone()[0]
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                cookies = session_cookies(browser, base)
                floor_url = f"http://127.0.0.1:{floor_port}/"
                pages = {
                    "floor (static page, http.server)": (floor_url, [], None, False),
                    "home, visitor": (f"{base}/", [], None, True),
                    "home, alice": (f"{base}/", cookies, "[data-testid=home-feed]", True),
                    "chat, alice, lobby": (f"{base}/chat/?channel={lobby}", cookies,
                                           "[data-testid=message]", True),
                }  # fmt: skip
                results: dict[str, list[dict]] = {name: [] for name in pages}
                print(f"loadavg before: {loadavg()}")
                for run in range(arguments.runs):
                    order = list(pages)[run % len(pages) :] + list(pages)[: run % len(pages)]
                    for name in order:
                        url, page_cookies, ready, is_portal = pages[name]
                        before = cpu_seconds(portal.pid)
                        client_before = client_cpu_seconds(excluded=portal.pid)
                        started = time.perf_counter()
                        result = load(browser, url, cookies=page_cookies, ready=ready)
                        result["wall_ms"] = (time.perf_counter() - started) * 1000
                        result["client_cpu_ms"] = (
                            client_cpu_seconds(excluded=portal.pid) - client_before
                        ) * 1000
                        result["server_cpu_ms"] = (
                            (cpu_seconds(portal.pid) - before) * 1000 if is_portal else 0.0
                        )
                        results[name].append(result)
                print(f"loadavg after:  {loadavg()}")
                browser.close()
        finally:
            portal.terminate()
            portal.wait(timeout=10)
            floor.shutdown()

    print(f"\n{arguments.runs} runs each, interleaved; fresh context per load (cold cache)\n")
    print(f"{'page':36} {'LCP ms median (min-max)':>26} {'load wall ms':>20} "
          f"{'server CPU ms':>14} {'client CPU ms':>14} {'transferred KB':>15} "
          f"{'own JS+CSS KB':>14} {'hosts':>6}")  # fmt: skip
    for name, runs in results.items():
        print(
            f"{name:36} {summary([r['lcp'] for r in runs]):>26} "
            f"{summary([r['wall_ms'] for r in runs]):>20} "
            f"{statistics.median(r['server_cpu_ms'] for r in runs):14.0f} "
            f"{statistics.median(r['client_cpu_ms'] for r in runs):14.0f} "
            f"{statistics.median(r['transferred'] for r in runs) / 1024:15.1f} "
            f"{statistics.median(r['ownCode'] for r in runs) / 1024:14.1f} "
            f"{len(runs[0]['hosts']):6d}"
        )
    floor_runs = next(iter(results.values()))
    print(
        f"\ncalibration: the floor's loads cost the client (Playwright + Chromium) "
        f"{statistics.median(r['client_cpu_ms'] for r in floor_runs):.0f} ms CPU and "
        f"{statistics.median(r['wall_ms'] for r in floor_runs):.0f} ms wall each; a portal page "
        "whose client CPU is close to its wall time measures the browser on a busy machine, "
        "one whose server CPU is, the portal"
    )
    code = max(r["ownCode"] for runs in results.values() for r in runs)
    print(f"\nlargest JS+CSS of a page: {code / 1024:.1f} KB uncompressed "
          f"(budget {BUDGET_BYTES / 1024:.0f} KB: {'within' if code < BUDGET_BYTES else 'OVER'}); "
          "hosts = distinct origins requested (1: no CDN)")  # fmt: skip


if __name__ == "__main__":
    main()
