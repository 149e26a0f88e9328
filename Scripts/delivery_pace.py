#!/usr/bin/env python3
"""Delivery at a real backend's pace, end to end, for any two builds of `chatbots`.

Starts `chatbots emulator` with generated traffic and an answer delay (a backend over
a network), runs `chatbots run` against it with the three built-in bots, samples
`chatbots_outbox_pending` from /metrics every second, and at the end reads the
emulator's record: actions applied per second, and each chat's time from its
`new_chat` to its assignment being applied. The runtime binary may be an older build
(`--binary`), with the emulator from this one (`--emulator-binary`), so an old and a
new delivery are compared on the same traffic in one sitting.

    python3 Scripts/delivery_pace.py --binary .build-release/release/chatbots \\
        --rate 60 --clients 400 --curators 20 --delay-ms 200 --seconds 60
"""
import argparse
import datetime
import os
import signal
import subprocess
import tempfile
import time

from emulator_runs import CONNECTION, get_json, get_text, wait_for, write_config

CONFIG = CONNECTION + """\
engine:
  curators: [{roster}]
monitoring:
  enabled: true
  port: {metrics_port}
logging:
  level: error
{delivery}bots:
  - type: auto_assign
    options: {{strategy: least_loaded, max_open_chats: {max_open}}}
  - type: after_hours
    options:
      hours: {{time_zone: UTC, mode: always_closed}}
      replies: {{en: "Closed; back {{next_open}}."}}
      default_language: en
  - type: sla_alerts
    options:
      policies: [{{kind: first_response, warning: 2m, breach: 5m}}]
"""


def metric(text, name):
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return None


def percentile(values, share):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/debug/chatbots", help="the chatbots that runs the bots")
    parser.add_argument("--emulator-binary", help="the chatbots that runs the emulator (default: --binary)")
    parser.add_argument("--port", type=int, default=18_787)
    parser.add_argument("--metrics-port", type=int, default=18_788)
    parser.add_argument("--rate", type=float, default=60, help="generated events per second")
    parser.add_argument("--clients", type=int, default=400)
    parser.add_argument("--curators", type=int, default=20)
    parser.add_argument("--delay-ms", type=int, default=200)
    parser.add_argument("--jitter-ms", type=int, default=0)
    parser.add_argument("--fail-rate", type=float, default=0, help="share of action requests the emulator fails with 500")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--max-open-chats", type=int, default=50,
                        help="auto-assign's seats per curator: high, so chats wait on delivery, not on a full desk")
    parser.add_argument("--max-in-flight", type=int, help="delivery.max_in_flight (a build without it must not be given one)")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="chatbots-pace-")
    config = os.path.join(work, "bots.yaml")
    roster = ", ".join(f"curator-{n}" for n in range(1, args.curators + 1))
    delivery = f"delivery:\n  max_in_flight: {args.max_in_flight}\n" if args.max_in_flight else ""
    write_config(config, CONFIG.format(
        port=args.port, store=os.path.join(work, "bots.sqlite"), roster=roster, metrics_port=args.metrics_port, delivery=delivery,
        max_open=args.max_open_chats,
    ))
    emulator = subprocess.Popen(
        [args.emulator_binary or args.binary, "emulator", "--port", str(args.port), "--rate", str(args.rate),
         "--clients", str(args.clients), "--curators", str(args.curators), "--seed", str(args.seed),
         "--delay-ms", str(args.delay_ms), "--jitter-ms", str(args.jitter_ms), "--fail-rate", str(args.fail_rate),
         "--log-level", "error"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    log = open(os.path.join(work, "runtime.log"), "w")
    runtime = None
    samples = []
    try:
        wait_for(f"http://127.0.0.1:{args.port}/emulator/state")
        runtime = subprocess.Popen([args.binary, "run", "--config", config], stdout=log, stderr=log)
        wait_for(f"http://127.0.0.1:{args.metrics_port}/metrics")
        started = time.time()
        while time.time() - started < args.seconds:
            time.sleep(1)
            pending = metric(get_text(f"http://127.0.0.1:{args.metrics_port}/metrics"), "chatbots_outbox_pending")
            samples.append((time.time() - started, pending))
        record = get_json(f"http://127.0.0.1:{args.port}/emulator/record")
        openings = get_json(f"http://127.0.0.1:{args.port}/emulator/openings")
    finally:
        if runtime:
            runtime.send_signal(signal.SIGTERM)
            runtime.wait(timeout=60)
        emulator.send_signal(signal.SIGTERM)
        emulator.wait(timeout=30)

    def seconds(stamp):
        return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()

    applied = [a for a in record["actions"] if a["outcome"] in ("applied", "replayed")]
    assigned = {}
    for action in applied:
        if action["path"].endswith("/assign/"):
            chat = action["path"].split("/")[3]
            assigned.setdefault(chat, seconds(action["received_at"]))
    waits = [assigned[chat] - opened for chat, opened in openings.items() if chat in assigned and opened >= started]
    opened_in_run = [chat for chat, opened in openings.items() if opened >= started]
    unassigned = [chat for chat in opened_in_run if chat not in assigned]
    depth = [pending for _, pending in samples if pending is not None]
    print(f"runtime {args.binary}; {args.rate:g} events/s for {args.seconds:g} s; answers {args.delay_ms} ± {args.jitter_ms} ms"
          + (f", {args.fail_rate:g} failed with 500" if args.fail_rate else "")
          + (f"; max_in_flight {args.max_in_flight}" if args.max_in_flight else ""))
    print(f"  actions applied:     {len(applied)} ({len(applied) / args.seconds:.1f}/s)")
    print(f"  outbox pending:      at 10 s {depth[9] if len(depth) > 9 else '?'}, at 30 s {depth[29] if len(depth) > 29 else '?'}, "
          f"at the end {depth[-1] if depth else '?'}, peak {max(depth) if depth else '?'}")
    print(f"  new_chat → assigned: {len(waits)} chats, p50 {percentile(waits, 0.5) * 1000:.0f} ms, "
          f"p99 {percentile(waits, 0.99) * 1000:.0f} ms, max {max(waits, default=float('nan')) * 1000:.0f} ms; "
          f"{len(unassigned)} of {len(opened_in_run)} chats opened in the run not assigned by its end")
    print(f"  work folder: {work}")


if __name__ == "__main__":
    main()
