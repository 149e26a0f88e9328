#!/usr/bin/env python3
"""ChatBots against the yardstick, on the same traffic in one run (issue "Prove the speed").

    swift build -c release --product chatbots --scratch-path .build-release
    pip install websockets      # the yardstick's one dependency
    python3 Scripts/yardstick.py --chatbots .build-release/release/chatbots --frames 100000

Each contestant gets a fresh `chatbots emulator` with the same seed and world, connects,
and is then sent one burst of FRAMES generated frames (`POST /emulator/traffic`: built
first, then sent as fast as the client reads, so generating costs nothing on the clock):

- `receive`: the gateway's WebSocket client setup counting frames (`chatbots receive`):
  the socket's ceiling;
- the yardstick (`../shared/yardstick/python_bot.py`, used as it is) in its modes
  `decode`, `wal` and `default`;
- `chatbots run` with no bots (world model and durable commit), and with the three
  built-in bots; timed from its first frame until every event read is handled and
  committed (`/metrics`, scraped every 20 ms).

Prints one table of events/s and the ratios the issue's targets are written in.
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
YARDSTICK = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "yardstick", "python_bot.py"))

RUNTIME_CONFIG = """\
server:
  url: ws://127.0.0.1:{port}
auth:
  keycloak:
    token_url: http://127.0.0.1:{port}/realms/support/protocol/openid-connect/token
    client_id: chatbots
    client_secret: ${{BENCH_CLIENT_SECRET}}
service_account_id: 1000
alerts:
  webhook_url: ${{BENCH_ALERT_WEBHOOK}}
store:
  path: {store}
engine:
  curators: [{roster}]
monitoring:
  port: {metrics_port}
logging:
  level: warning
{bots}"""

BUILT_IN_BOTS = """\
bots:
  - type: auto_assign
    options: {strategy: least_loaded, max_open_chats: 1000}
  - type: after_hours
    options:
      hours: {time_zone: UTC, mode: always_closed}
      replies: {en: "We are closed; back {next_open}."}
      default_language: en
  - type: sla_alerts
    options:
      policies:
        - {kind: first_response, warning: 5m, breach: 15m}
        - {kind: unread, warning: 10m, breach: 30m}
"""


def get(url, timeout=30):
    with urllib.request.urlopen(url, timeout=timeout) as answer:
        return answer.read().decode()


def post_json(url, body):
    request = urllib.request.Request(url, data=body.encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as answer:
        return answer.read().decode()


def wait_until(what, predicate, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.05)
    raise SystemExit(f"gave up waiting for {what}")


class Emulator:
    def __init__(self, chatbots, port, seed, clients, curators):
        self.port, self.base = port, f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [chatbots, "emulator", "--port", str(port), "--rate", "0", "--seed", str(seed),
             "--clients", str(clients), "--curators", str(curators), "--log-level", "error"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until("the emulator", lambda: '"sockets"' in get(f"{self.base}/emulator/state"))

    def wait_for_socket(self, contestant):
        def connected():
            if contestant.poll() is not None:
                raise SystemExit(f"the contestant exited ({contestant.returncode}): {last_words(contestant)}")
            return '"sockets":1' in get(f"{self.base}/emulator/state")
        wait_until("the contestant's socket", connected, 60)

    def burst(self, frames):
        return int(re.search(r'"frames_sent":(\d+)', post_json(f"{self.base}/emulator/traffic", f'{{"frames": {frames}}}')).group(1))

    def stop(self):
        stop(self.process, timeout=10)


def stop(process, timeout=30):
    """SIGTERM, and SIGKILL if it has not exited within `timeout` seconds."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()


def last_words(process):
    """The end of what a contestant wrote to stderr: its pipe, or the runtime's log file."""
    path = getattr(process, "log_path", None)
    if path:
        with open(path) as file:
            return file.read().strip()[-800:]
    return process.stderr.read().strip()[-800:] if process.stderr else ""


def metric(page, name):
    """The sum of a metric's series in a Prometheus text page."""
    total = 0.0
    for line in page.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def run_line_contestant(frames, emulator, command, pattern):
    """A contestant that connects, reads `frames` frames, prints its rate and exits."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    emulator.wait_for_socket(process)
    emulator.burst(frames)
    out, err = process.communicate(timeout=900)
    found = re.search(pattern, out)
    if process.returncode != 0 or not found:
        raise SystemExit(f"{' '.join(command[:3])} failed: {out.strip()} {err.strip()[-500:]}")
    return {"rate": float(found.group(1)), "events": frames}


def run_runtime(args, frames, emulator, folder, name, bots):
    metrics_port = args.port + 1
    config = os.path.join(folder, f"{name}.yaml")
    roster = ", ".join(f"curator-{index}" for index in range(1, args.curators + 1))
    with open(config, "w") as file:
        file.write(RUNTIME_CONFIG.format(port=emulator.port, store=os.path.join(folder, f"{name}.sqlite"),
                                         roster=roster, metrics_port=metrics_port, bots=bots))
    environment = dict(os.environ, BENCH_CLIENT_SECRET="chatbots-secret",
                       BENCH_ALERT_WEBHOOK=f"http://127.0.0.1:{emulator.port}/hooks/alerts")
    # The runtime's log goes to a file: a pipe nobody reads would block it once full.
    log_path = os.path.join(folder, f"{name}.log")
    log = open(log_path, "w")
    process = subprocess.Popen([args.chatbots, "run", "--config", config], env=environment,
                               stdout=subprocess.DEVNULL, stderr=log, text=True)
    process.log_path = log_path
    try:
        emulator.wait_for_socket(process)
        page_url = f"http://127.0.0.1:{metrics_port}/metrics"
        wait_until("the runtime's /metrics", lambda: "chatbots_connected 1" in get(page_url))
        sent = emulator.burst(frames)
        started = None
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            page = get(page_url)
            now = time.monotonic()
            received = metric(page, "chatbots_frames_received_total")
            if started is None and received > 0:
                started = now
            decoded = metric(page, "chatbots_events_decoded_total")
            handled = metric(page, "chatbots_events_handled_total")
            if received >= sent and handled >= decoded:
                elapsed = now - started
                return {"rate": handled / elapsed, "events": int(handled), "seconds": elapsed}
            time.sleep(0.02)
        raise SystemExit(f"{name}: not done within 900 s; its log ends: {last_words(process)}")
    finally:
        stop(process)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chatbots", required=True, help="the chatbots binary (a release build)")
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--slow-frames", type=int, default=10_000,
                        help="frames for the slow contestants (yardstick default mode, built-in bots): the "
                             "yardstick's client drops the socket when the emulator's pong waits behind more "
                             "than 20 s of unread frames")
    parser.add_argument("--port", type=int, default=18120, help="the emulator's port; the runtime's /metrics takes the next")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--curators", type=int, default=40)
    parser.add_argument("--only", help="comma-separated contestants to run (receive, decode, wal, default, none, builtin)")
    args = parser.parse_args()
    if not os.path.exists(YARDSTICK):
        raise SystemExit(f"no yardstick at {YARDSTICK}")

    token_url = f"http://127.0.0.1:{args.port}/realms/support/protocol/openid-connect/token"
    socket_base = f"ws://127.0.0.1:{args.port}"
    yardstick = [sys.executable, YARDSTICK, "--url", f"{socket_base}/connect/", "--token-url", token_url,
                 "--client-id", "chatbots", "--client-secret", "chatbots-secret", "--idle", "60"]
    fast, slow = args.frames, args.slow_frames
    contestants = [
        ("receive", "gateway's WebSocket client, counting frames", fast,
         lambda emulator, folder: run_line_contestant(fast, emulator, [
             args.chatbots, "receive", "--server", socket_base, "--token-url", token_url, "--frames", str(fast)],
             r"frames/s=(\d+)")),
        ("decode", "yardstick, json.loads only", fast, lambda emulator, folder: run_line_contestant(
            fast, emulator, yardstick + ["--events", str(fast), "--mode", "decode"], r"events/s=(\d+)")),
        ("wal", "yardstick, SQLite WAL, a commit per event", fast, lambda emulator, folder: run_line_contestant(
            fast, emulator, yardstick + ["--events", str(fast), "--mode", "wal"], r"events/s=(\d+)")),
        ("default", "yardstick, sqlite3 defaults, a commit per event", slow, lambda emulator, folder: run_line_contestant(
            slow, emulator, yardstick + ["--events", str(slow), "--mode", "default"], r"events/s=(\d+)")),
        ("none", "chatbots run, no bots (world model, durable)", fast, lambda emulator, folder: run_runtime(
            args, fast, emulator, folder, "none", "bots: []\n")),
        ("builtin", "chatbots run, the three built-in bots (durable)", slow, lambda emulator, folder: run_runtime(
            args, slow, emulator, folder, "builtin", BUILT_IN_BOTS)),
    ]
    if args.only:
        wanted = set(args.only.split(","))
        contestants = [entry for entry in contestants if entry[0] in wanted]

    results = {}
    with tempfile.TemporaryDirectory(prefix="chatbots-yardstick-") as folder:
        for key, label, _, run in contestants:
            emulator = Emulator(args.chatbots, args.port, args.seed, args.clients, args.curators)
            try:
                results[key] = run(emulator, folder)
            finally:
                emulator.stop()
            print(f"  {label}: {results[key]['rate']:.0f} events/s", flush=True)

    print(f"\nseed {args.seed}; {args.clients} clients, {args.curators} curators; one burst per contestant")
    print("| contestant | frames | events/s | × yardstick WAL | × yardstick default |")
    print("|---|---|---|---|---|")
    for key, label, frames, _ in contestants:
        rate = results[key]["rate"]
        ratios = [f"{rate / results[base]['rate']:.2f}" if base in results else "" for base in ("wal", "default")]
        print(f"| {label} | {frames} | {rate:.0f} | {ratios[0]} | {ratios[1]} |")


if __name__ == "__main__":
    main()
