#!/usr/bin/env python3
"""Takeover time with a big store: how long after the leader is killed the standby
leads, with CHATS open chats (and as many SLA timers) in the PostgreSQL store.

    swift build -c release --product chatbots --scratch-path .build-release
    eval "$(Scripts/postgres_throwaway.sh)"
    python3 Scripts/takeover_time.py --binary .build-release/release/chatbots --chats 100000

It seeds a SQLite store (`chatbots seed`), copies it into a new schema
(`chatbots copy-store`), starts two runtimes on it against a quiet emulator, and KILLS
times kills whichever leads, timing from the SIGKILL to the other's /ready saying
`leader` and connected: the lease's time to live, plus the look (a third of it), plus
loading the store. Prints each, the median and the worst; drops the schema at the end.
"""
import argparse
import os
import signal
import statistics
import subprocess
import tempfile
import time
import uuid

from emulator_runs import SERVER, wait_for, write_config
from failover_test import POSTGRES_STORE, leads, psql, ready

CONFIG = SERVER + POSTGRES_STORE + """\
engine:
  curators: [{roster}]
monitoring:
  enabled: true
  port: {monitoring_port}
logging:
  level: notice
bots:
  - type: auto_assign
  - type: sla_alerts
    options:
      policies: [{{kind: first_response, warning: 1h, breach: 2h}}]
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build-release/release/chatbots")
    parser.add_argument("--chats", type=int, default=100_000)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--ttl", type=int, default=3, help="the lease's time to live, in seconds")
    parser.add_argument("--port", type=int, default=18_797)
    args = parser.parse_args()
    url = os.environ.get("CHATBOTS_TEST_POSTGRES_URL")
    password = os.environ.get("CHATBOTS_TEST_POSTGRES_PASSWORD", "")
    if not url:
        raise SystemExit("CHATBOTS_TEST_POSTGRES_URL is not set: eval \"$(Scripts/postgres_throwaway.sh)\" first")
    schema = "takeover_" + uuid.uuid4().hex[:10]
    work = tempfile.mkdtemp(prefix="chatbots-takeover-")
    sqlite = os.path.join(work, "seed.sqlite")
    roster = ", ".join(f"curator-{index}" for index in range(1, 41))
    ports = [args.port + 1, args.port + 2]
    configs = []
    for index, monitoring_port in enumerate(ports):
        config = os.path.join(work, f"runtime-{index}.yaml")
        write_config(config, CONFIG.format(port=args.port, url=url, schema=schema, ttl=args.ttl, roster=roster, monitoring_port=monitoring_port))
        configs.append(config)
    started = time.time()
    subprocess.run([args.binary, "seed", "--store", sqlite, "--chats", str(args.chats), "--timers", str(args.chats)], check=True,
                   stdout=subprocess.DEVNULL)
    copied = subprocess.run([args.binary, "copy-store", "--from", sqlite, "--config", configs[0]], check=True, capture_output=True,
                            text=True, env=dict(os.environ, CHATBOTS_POSTGRES_PASSWORD=password)).stdout.strip()
    print(f"{copied}  ({time.time() - started:.1f} s to seed and copy)", flush=True)
    logs = [open(os.path.join(work, f"runtime-{index}.log"), "w") for index in range(2)]
    emulator = subprocess.Popen([args.binary, "emulator", "--port", str(args.port), "--rate", "0", "--curators", "40", "--log-level", "error"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    runtimes = [None, None]

    def start(index):
        return subprocess.Popen([args.binary, "run", "--config", configs[index]], stdout=logs[index], stderr=logs[index])

    def leader(deadline):
        end = time.time() + deadline
        while time.time() < end:
            for index in range(2):
                if runtimes[index] is not None and runtimes[index].poll() is None and leads(ports[index]):
                    return index
            time.sleep(0.02)
        return None

    times = []
    try:
        wait_for(f"http://127.0.0.1:{args.port}/emulator/state")
        runtimes[0] = start(0)
        first = leader(120)
        if first is None:
            raise SystemExit(f"no runtime led within 120 s; see {work}")
        runtimes[1] = start(1)
        for kill in range(1, args.kills + 1):
            # The standby must be up and looking before the leader goes.
            end = time.time() + 60
            while time.time() < end and (ready(ports[1 - leader(60)]) or {}).get("lease", {}).get("role") != "standby":
                time.sleep(0.1)
            current = leader(60)
            runtimes[current].send_signal(signal.SIGKILL)
            killed_at = time.time()
            runtimes[current].wait()
            taken = leader(args.ttl + 120)
            took = time.time() - killed_at
            times.append(took)
            print(f"kill {kill:2}: runtime {current} killed; runtime {taken} led after {took:.2f} s", flush=True)
            runtimes[current] = start(current)
    finally:
        for runtime in runtimes:
            if runtime is not None and runtime.poll() is None:
                runtime.send_signal(signal.SIGTERM)
                runtime.wait(timeout=60)
        emulator.send_signal(signal.SIGTERM)
        emulator.wait(timeout=30)
        psql(url, password, f'DROP SCHEMA "{schema}" CASCADE')
    loads = []
    for index in range(2):
        with open(os.path.join(work, f"runtime-{index}.log")) as log:
            for line in log:
                if "takeover.load_seconds=" in line:
                    loads.append(float(line.split("takeover.load_seconds=")[1].split()[0]))
    print(f"\n{args.chats} chats, lease ttl {args.ttl} s, {len(times)} kills: takeover median {statistics.median(times):.2f} s, "
          f"worst {max(times):.2f} s; of which loading the store: median {statistics.median(loads):.2f} s, worst {max(loads):.2f} s")
    print(f"work folder (logs): {work}")


if __name__ == "__main__":
    main()
