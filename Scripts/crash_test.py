#!/usr/bin/env python3
"""Crash test: the runtime killed with SIGKILL at random moments under generated
traffic, restarted each time, then checked against the emulator's record.

    swift build --product chatbots && python3 Scripts/crash_test.py --kills 10

It starts `chatbots emulator` with generated traffic and runs `chatbots run` with the
three built-in bots on one SQLite store, killing it (SIGKILL) after a random 0.5-4 s,
KILLS times in a row; a last run is stopped gracefully. Then it checks:

- no action taken twice: no chat given two after-hours replies or assigned twice by
  the bots. (The emulator applies each Idempotency-Key once, so a resend of a
  committed action shows as `replayed`; a decision taken twice would carry a second
  key and show here.);
- nothing committed was lost: the store's outbox ends empty, no dead letters;
- every SLA alert arrived once: no (chat, message, level) alerted under two keys, and
  no timer that came due while a runtime was up is left pending;
- the store passes SQLite's integrity check.

Prints the figures, exits 1 if any check fails.
"""
import argparse
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

from emulator_runs import BUILT_IN_BOTS, CONNECTION, count_record, get_json, wait_for, write_config

CONFIG = CONNECTION + """\
engine:
  curators: [curator-1, curator-2, curator-3, curator-4]
monitoring:
  enabled: false
logging:
  level: warning
""" + BUILT_IN_BOTS


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/debug/chatbots", help="the chatbots executable")
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--port", type=int, default=18_777)
    parser.add_argument("--rate", type=float, default=40, help="generated events per second")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--final-seconds", type=float, default=8, help="the last, graceful run")
    parser.add_argument("--backend-delay-ms", type=int, default=0, help="the emulator answers actions this late, as a real backend does")
    parser.add_argument("--backend-jitter-ms", type=int, default=0, help="spread of that delay, ± ms")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    work = tempfile.mkdtemp(prefix="chatbots-crash-")
    store = os.path.join(work, "bots.sqlite")
    config = os.path.join(work, "bots.yaml")
    write_config(config, CONFIG.format(port=args.port, store=store, max_open_chats=3))
    log = open(os.path.join(work, "runtime.log"), "w")

    emulator = subprocess.Popen(
        [args.binary, "emulator", "--port", str(args.port), "--rate", str(args.rate), "--seed", str(args.seed), "--log-level", "error",
         "--delay-ms", str(args.backend_delay_ms), "--jitter-ms", str(args.backend_jitter_ms)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    kills = []
    early_exits = 0
    try:
        wait_for(f"http://127.0.0.1:{args.port}/emulator/state")
        for round_number in range(1, args.kills + 1):
            runtime = subprocess.Popen([args.binary, "run", "--config", config], stdout=log, stderr=log)
            lived = rng.uniform(0.5, 4.0)
            time.sleep(lived)
            if runtime.poll() is not None:
                early_exits += 1   # it died on its own: this round killed nothing
            runtime.send_signal(signal.SIGKILL)
            runtime.wait()
            kills.append(lived)
            print(f"kill {round_number:2}: SIGKILL after {lived:.2f} s", flush=True)
        runtime = subprocess.Popen([args.binary, "run", "--config", config], stdout=log, stderr=log)
        time.sleep(args.final_seconds)
        stopped_at = time.time()
        runtime.send_signal(signal.SIGTERM)
        status = runtime.wait(timeout=60)
        record = get_json(f"http://127.0.0.1:{args.port}/emulator/record")
    finally:
        emulator.send_signal(signal.SIGTERM)
        emulator.wait(timeout=30)

    failures = []

    def check(ok, message):
        print(("ok    " if ok else "FAIL  ") + message)
        if not ok:
            failures.append(message)

    actions, applied, replayed, replies, assigned, alerts, alert_keys, resent_alerts = count_record(record)

    print(f"\nseed {args.seed}; {len(kills)} kills; the last runtime stopped with status {status}")
    print(f"actions: {len(actions)} requests, {sum(applied.values())} applied, {replayed} answered again (resent after a kill)")
    print(f"chats replied to: {len(replies)}; chats assigned: {len(assigned)}; alerts: {len(alerts)} ({resent_alerts} resent with the same key)")
    check(early_exits == 0, f"every runtime was still running when killed ({early_exits} had exited already)")
    check(len(replies) > 0 and len(assigned) > 0 and len(alerts) > 0, "the bots acted (replies, assignments and alerts arrived)")
    check(status == 0, "the last runtime stopped gracefully")
    check(all(count == 1 for count in replies.values()), "no chat got two after-hours replies")
    check(all(count == 1 for count in assigned.values()), "no chat assigned twice")
    check(all(len(keys) == 1 for keys in alert_keys.values()), "no SLA alert decided twice (one key per chat, message, level)")

    database = sqlite3.connect(store)
    pending = database.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()[0]
    dead = database.execute("SELECT COUNT(*) FROM outbox WHERE status IN ('dead', 'expired')").fetchone()[0]
    overdue = database.execute("SELECT COUNT(*) FROM timer WHERE fire_at < ?", (stopped_at - args.final_seconds / 2,)).fetchone()[0]
    integrity = database.execute("PRAGMA integrity_check").fetchone()[0]
    check(pending == 0 and dead == 0, f"nothing committed was lost (outbox pending {pending}, dead or expired {dead})")
    check(overdue == 0, f"no timer due while a runtime was up is left pending ({overdue})")
    check(integrity == "ok", f"the store passes integrity_check ({integrity})")
    print(f"\nwork folder: {work}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
