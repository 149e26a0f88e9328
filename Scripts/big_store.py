#!/usr/bin/env python3
"""The runtime on a big store: memory and start to first event (issue "Prove the speed").

    swift build -c release --product chatbots --scratch-path .build-release
    python3 Scripts/big_store.py --chatbots .build-release/release/chatbots --chats 100000 --timers 100000

1. `chatbots seed` writes a new store: CHATS chats (two messages and a curator each)
   and TIMERS SLA timers pending, due in one to two hours; with --bot-state, each chat
   also has the state the built-in bots keep for it (an assignment decision over every
   curator, the SLA clocks of its two messages).
2. A `chatbots emulator` starts generating traffic (--rate steps a second), and
   `chatbots run` starts with the three built-in bots on that store. The clock runs from
   starting the process until its `/metrics` (polled every 5 ms) counts an event
   handled; "first frame" is when it counts a frame received.
3. After --settle seconds of traffic the runtime's resident memory (VmRSS) and its
   peak (VmHWM) are read from /proc.

The same is done on an empty store, for comparison, unless --no-empty; and the
runtime's idle memory is read on an empty store with no traffic at all (the emulator at
rate 0, the runtime connected for --settle seconds).
"""
import argparse
import os
import subprocess
import tempfile
import time

from yardstick import BUILT_IN_BOTS, RUNTIME_CONFIG, get, metric, stop, wait_until


def memory(pid):
    """VmRSS and VmHWM of a process, in MiB."""
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def run_on(args, store, folder, name, idle=False):
    emulator = subprocess.Popen(
        [args.chatbots, "emulator", "--port", str(args.port), "--rate", "0" if idle else str(args.rate), "--seed", "1",
         "--clients", "2000", "--curators", str(args.curators), "--log-level", "error"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    runtime = None
    try:
        wait_until("the emulator", lambda: '"sockets"' in get(f"http://127.0.0.1:{args.port}/emulator/state"))
        metrics_port = args.port + 1
        config = os.path.join(folder, f"{name}.yaml")
        roster = ", ".join(f"curator-{index}" for index in range(1, args.curators + 1))
        with open(config, "w") as file:
            file.write(RUNTIME_CONFIG.format(port=args.port, store=store, roster=roster,
                                             metrics_port=metrics_port, bots=BUILT_IN_BOTS))
        environment = dict(os.environ, BENCH_CLIENT_SECRET="chatbots-secret",
                           BENCH_ALERT_WEBHOOK=f"http://127.0.0.1:{args.port}/hooks/alerts")
        log = open(os.path.join(folder, f"{name}.log"), "w")
        page_url = f"http://127.0.0.1:{metrics_port}/metrics"
        started = time.monotonic()
        runtime = subprocess.Popen([args.chatbots, "run", "--config", config], env=environment,
                                   stdout=subprocess.DEVNULL, stderr=log)
        if idle:
            wait_until("the runtime's socket", lambda: "chatbots_connected 1" in get(page_url), 60)
            connected = time.monotonic() - started
            time.sleep(args.settle)
            rss, peak = memory(runtime.pid)
            return {"first_frame": connected, "first_event": None, "rss": rss, "peak": peak, "handled": 0}
        first_frame = first_event = None
        deadline = started + 120
        while first_event is None and time.monotonic() < deadline:
            if runtime.poll() is not None:
                raise SystemExit(f"the runtime exited ({runtime.returncode}); see {log.name}")
            try:
                page = get(page_url, timeout=5)
            except OSError:
                time.sleep(0.005)
                continue
            now = time.monotonic()
            if first_frame is None and metric(page, "chatbots_frames_received_total") > 0:
                first_frame = now - started
            if metric(page, "chatbots_events_handled_total") > 0:
                first_event = now - started
            time.sleep(0.005)
        if first_event is None:
            raise SystemExit(f"no event handled within 120 s; see {log.name}")
        time.sleep(args.settle)
        rss, peak = memory(runtime.pid)
        handled = metric(get(page_url), "chatbots_events_handled_total")
        return {"first_frame": first_frame or first_event, "first_event": first_event, "rss": rss, "peak": peak,
                "handled": handled}
    finally:
        for process in (runtime, emulator):
            if process is not None:
                stop(process)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chatbots", required=True, help="the chatbots binary (a release build)")
    parser.add_argument("--chats", type=int, default=100_000)
    parser.add_argument("--timers", type=int, default=100_000)
    parser.add_argument("--curators", type=int, default=40)
    parser.add_argument("--rate", type=float, default=100, help="the emulator's traffic steps per second")
    parser.add_argument("--settle", type=float, default=5, help="seconds of traffic before reading memory")
    parser.add_argument("--port", type=int, default=18140, help="the emulator's port; the runtime's /metrics takes the next")
    parser.add_argument("--no-empty", action="store_true", help="skip the run on an empty store")
    parser.add_argument("--bot-state", action="store_true",
                        help="seed each chat with the state the built-in bots keep for it (chatbots seed --bot-state)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="chatbots-big-store-") as folder:
        store = os.path.join(folder, "big.sqlite")
        started = time.monotonic()
        subprocess.run([args.chatbots, "seed", "--store", store, "--chats", str(args.chats),
                        "--timers", str(args.timers), "--curators", str(args.curators)]
                       + (["--bot-state"] if args.bot_state else []), check=True)
        size = sum(os.path.getsize(store + suffix) for suffix in ("", "-wal") if os.path.exists(store + suffix))
        print(f"seeded in {time.monotonic() - started:.1f} s: {size / 2**20:.0f} MiB on disk")
        runs = [("big", store)] + ([] if args.no_empty else [("empty", os.path.join(folder, "empty.sqlite"))])
        results = {name: run_on(args, path, folder, name) for name, path in runs}
        if not args.no_empty:
            results["empty, no traffic"] = run_on(args, os.path.join(folder, "idle.sqlite"), folder, "idle", idle=True)

    print(f"\n{args.chats} chats, {args.timers} timers{', bot state' if args.bot_state else ''}; built-in bots; emulator at {args.rate:g} steps/s; "
          f"memory after {args.settle:g} s of traffic")
    print("| store | start → first frame (idle: connected) | start → first event handled | RSS | peak RSS | events handled |")
    print("|---|---|---|---|---|---|")
    for name, result in results.items():
        first_event = "" if result["first_event"] is None else f"{result['first_event'] * 1000:.0f} ms"
        print(f"| {name} | {result['first_frame'] * 1000:.0f} ms | {first_event} | "
              f"{result['rss']:.1f} MiB | {result['peak']:.1f} MiB | {result['handled']:.0f} |")


if __name__ == "__main__":
    main()
