#!/usr/bin/env python3
"""Failover test: two runtimes on one PostgreSQL store under generated traffic; the
leader is killed with SIGKILL, again and again, so the kills alternate between the two.

    swift build --product chatbots
    eval "$(Scripts/postgres_throwaway.sh)"      # or point the variables at a server
    python3 Scripts/failover_test.py --kills 10

Each round waits a random 2-5 s of traffic, kills whichever runtime leads, times how
long the other takes to lead (its /ready says `leader` and connected), and starts the
killed one again as the standby. Then, unless --no-pause, the leader is stopped with
SIGSTOP past its lease and let go on with SIGCONT: it must stand by, and write nothing.
Both stop gracefully at the end. The checks, as crash_test.py's, over the whole run:

- every takeover within the lease's time to live + 2 s;
- no action decided twice: no chat given two after-hours replies or assigned twice,
  no SLA alert under two keys (a resend under the same key shows as `replayed`);
- nothing committed was lost: the outbox ends empty, no dead letters;
- every chat still open at the end is known to the store and has a curator (a chat
  opened and closed again while no runtime read the socket is never seen: catch-up
  lists open chats only; the figures say how many);
- the paused leader stood by after SIGCONT.

The store is a new schema in the database of CHATBOTS_TEST_POSTGRES_URL (password in
CHATBOTS_TEST_POSTGRES_PASSWORD), dropped at the end unless --keep. Prints the figures;
exits 1 if any check fails.
"""
import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

from emulator_runs import BUILT_IN_BOTS, SERVER, count_record, get_json, wait_for, write_config

# The store on a schema of the test server, its password from the tests' variable.
POSTGRES_STORE = """\
store:
  postgres:
    url: {url}
    password_env: CHATBOTS_TEST_POSTGRES_PASSWORD
    schema: {schema}
    tls: disable
    lease_ttl: {ttl}s
"""

CONFIG = SERVER + POSTGRES_STORE + """\
directory:
  open_chats_path: /api/chats/?status=open&page_size=100
  chat_details_path: /api/chats/{{chat_id}}/
engine:
  curators: [curator-1, curator-2, curator-3, curator-4, curator-5, curator-6]
monitoring:
  enabled: true
  port: {monitoring_port}
logging:
  level: notice
""" + BUILT_IN_BOTS


def ready(port):
    """What a runtime's /ready says, or None while it does not answer."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as error:   # 503: not ready, still a status
        return json.loads(error.read())
    except (OSError, ValueError):
        return None


def leads(port):
    status = ready(port)
    return bool(status and status.get("lease", {}).get("role") == "leader" and status.get("connected"))


def open_chats(port):
    """The chats the backend still has open at the end, with their curators, through
    the same route the runtime's catch-up reads (and the service account's token)."""
    form = "grant_type=client_credentials&client_id=chatbots&client_secret=chatbots-secret".encode()
    token_url = f"http://127.0.0.1:{port}/realms/support/protocol/openid-connect/token"
    with urllib.request.urlopen(urllib.request.Request(token_url, data=form), timeout=10) as answer:
        token = json.loads(answer.read())["access_token"]
    chats = {}
    path = "/api/chats/?status=open&page_size=1000"
    while path:
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            page = json.loads(answer.read())
        for chat in page["results"]:
            chats[str(chat["id"])] = chat.get("curator_id") or chat.get("curator")
        path = page["next"]
    return chats


def psql(url, password, sql):
    environment = dict(os.environ, PGPASSWORD=password)
    return subprocess.run(["psql", url, "-Atq", "-v", "ON_ERROR_STOP=1", "-c", sql], env=environment, check=True,
                          capture_output=True, text=True).stdout.strip()


class Traffic(threading.Thread):
    """Generated traffic at `rate` events a second, in bursts the emulator sends at once,
    until stopped: the checks need the backend quiet before the last runtime stops."""

    def __init__(self, port, rate):
        super().__init__(daemon=True)
        self.url = f"http://127.0.0.1:{port}/emulator/traffic"
        self.rate = rate
        self.quiet = threading.Event()

    def run(self):
        frames = max(1, round(self.rate / 10))
        while not self.quiet.wait(frames / self.rate):
            request = urllib.request.Request(self.url, data=json.dumps({"frames": frames}).encode(), method="POST")
            try:
                urllib.request.urlopen(request, timeout=5).read()
            except OSError:
                pass


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/debug/chatbots", help="the chatbots executable")
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--port", type=int, default=18_787)
    parser.add_argument("--rate", type=float, default=40, help="generated events per second")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--ttl", type=int, default=3, help="the lease's time to live, in seconds")
    parser.add_argument("--no-pause", action="store_true", help="leave out the SIGSTOP/SIGCONT round")
    parser.add_argument("--keep", action="store_true", help="keep the schema and the work folder")
    parser.add_argument("--pooler", action="store_true", help="through pgbouncer in transaction mode (CHATBOTS_TEST_PGBOUNCER_URL)")
    parser.add_argument("--db-down", type=float, default=0,
                        help="also take the database away this many seconds under traffic (Scripts/postgres_throwaway.sh restart)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    url = os.environ.get("CHATBOTS_TEST_PGBOUNCER_URL" if args.pooler else "CHATBOTS_TEST_POSTGRES_URL")
    direct_url = os.environ.get("CHATBOTS_TEST_POSTGRES_URL")
    password = os.environ.get("CHATBOTS_TEST_POSTGRES_PASSWORD", "")
    if not url:
        raise SystemExit("CHATBOTS_TEST_POSTGRES_URL is not set: eval \"$(Scripts/postgres_throwaway.sh)\" first")
    schema = "failover_" + uuid.uuid4().hex[:10]

    work = tempfile.mkdtemp(prefix="chatbots-failover-")
    monitoring_ports = [args.port + 1, args.port + 2]
    configs = []
    for index, monitoring_port in enumerate(monitoring_ports):
        config = os.path.join(work, f"runtime-{index}.yaml")
        write_config(config, CONFIG.format(port=args.port, url=url, schema=schema, ttl=args.ttl, monitoring_port=monitoring_port, max_open_chats=1000))
        configs.append(config)
    logs = [open(os.path.join(work, f"runtime-{index}.log"), "w") for index in range(2)]

    def start(index):
        return subprocess.Popen([args.binary, "run", "--config", configs[index]], stdout=logs[index], stderr=logs[index])

    def leader_index(runtimes, deadline):
        end = time.time() + deadline
        while time.time() < end:
            for index in range(2):
                if runtimes[index] is not None and runtimes[index].poll() is None and leads(monitoring_ports[index]):
                    return index
            time.sleep(0.05)
        return None

    emulator = subprocess.Popen(
        [args.binary, "emulator", "--port", str(args.port), "--rate", "0", "--seed", str(args.seed), "--log-level", "error",
         "--curators", "6"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    takeovers = []
    killed = []
    failures = []

    def check(ok, message):
        print(("ok    " if ok else "FAIL  ") + message, flush=True)
        if not ok:
            failures.append(message)

    paused_stood_by = None
    database_round = None
    statuses = []
    runtimes = [None, None]
    traffic = Traffic(args.port, args.rate)
    try:
        wait_for(f"http://127.0.0.1:{args.port}/emulator/state")
        for index, monitoring_port in enumerate(monitoring_ports):
            if ready(monitoring_port) is not None:
                raise SystemExit(f"something already answers on port {monitoring_port}: a runtime left from another run?")
        runtimes[0] = start(0)
        first = leader_index(runtimes, 60)
        if first is None:
            raise SystemExit(f"no runtime led within 60 s; see {work}")
        runtimes[1] = start(1)
        traffic.start()
        for round_number in range(1, args.kills + 1):
            time.sleep(rng.uniform(2.0, 5.0))
            current = leader_index(runtimes, 30)
            if current is None:
                check(False, f"round {round_number}: no leader to kill")
                break
            other = 1 - current
            runtimes[current].send_signal(signal.SIGKILL)
            killed_at = time.time()
            runtimes[current].wait()
            taken = leader_index(runtimes, args.ttl + 30)
            took = time.time() - killed_at
            takeovers.append(took if taken == other else None)
            killed.append(current)
            print(f"kill {round_number:2}: SIGKILL runtime {current}; runtime {other} led after {took:.2f} s", flush=True)
            runtimes[current] = start(current)
        if not args.no_pause:
            time.sleep(3)
            current = leader_index(runtimes, 30)
            if current is not None:
                other = 1 - current
                runtimes[current].send_signal(signal.SIGSTOP)
                paused_at = time.time()
                taken = leader_index(runtimes, args.ttl + 30)
                took = time.time() - paused_at
                print(f"pause: SIGSTOP runtime {current}; runtime {taken} led after {took:.2f} s", flush=True)
                time.sleep(1)
                runtimes[current].send_signal(signal.SIGCONT)
                end = time.time() + 10
                while time.time() < end:
                    status = ready(monitoring_ports[current])
                    if status and status.get("lease", {}).get("role") == "standby":
                        paused_stood_by = True
                        break
                    time.sleep(0.05)
                paused_stood_by = bool(paused_stood_by) and taken == other
        if args.db_down > 0:
            # The database goes away under traffic: nobody may lead while it is down,
            # and exactly one leads once it is back.
            time.sleep(3)
            restart = subprocess.Popen([os.path.join(os.path.dirname(__file__), "postgres_throwaway.sh"), "restart", str(args.db_down)])
            time.sleep(args.ttl + 1)
            leaders_while_down = [index for index in range(2) if leads(monitoring_ports[index])]
            restart.wait()
            back = leader_index(runtimes, args.ttl + 30)
            time.sleep(args.ttl)
            leaders_after = [index for index in range(2) if leads(monitoring_ports[index])]
            database_round = (leaders_while_down, back, leaders_after)
            print(f"database down {args.db_down} s: leading while down {leaders_while_down}; after: {leaders_after}", flush=True)
        # The backend goes quiet; the leader finishes what it was given, then both stop.
        traffic.quiet.set()
        traffic.join()
        final = leader_index(runtimes, args.ttl + 30)
        end = time.time() + 30
        while time.time() < end:
            status = ready(monitoring_ports[final]) if final is not None else None
            if status and status["outbox_pending"] == 0 and status.get("seconds_since_last_event", 0) > 2:
                break
            time.sleep(0.2)
        for runtime in runtimes:
            runtime.send_signal(signal.SIGTERM)
        statuses = [runtime.wait(timeout=60) for runtime in runtimes]
        record = get_json(f"http://127.0.0.1:{args.port}/emulator/record")
        emulator_state = get_json(f"http://127.0.0.1:{args.port}/emulator/state")
        still_open = open_chats(args.port)
    finally:
        traffic.quiet.set()
        for runtime in runtimes:
            if runtime is not None and runtime.poll() is None:
                runtime.send_signal(signal.SIGCONT)
                runtime.kill()
                runtime.wait()
        emulator.send_signal(signal.SIGTERM)
        emulator.wait(timeout=30)

    actions, applied, replayed, replies, assigned, alerts, alert_keys, resent_alerts = count_record(record)
    opened = emulator_state.get("chats_opened_in_all", emulator_state.get("chats", 0))

    table = f'"{schema}"'
    pending = int(psql(direct_url, password, f"SELECT COUNT(*) FROM {table}.outbox WHERE status = 'pending'"))
    dead = int(psql(direct_url, password, f"SELECT COUNT(*) FROM {table}.outbox WHERE status IN ('dead', 'expired')"))
    known = int(psql(direct_url, password, f"SELECT COUNT(*) FROM {table}.chat"))
    stored = dict(line.split("|") for line in psql(direct_url, password, f"SELECT id, COALESCE(curator_id, '') FROM {table}.chat").splitlines())
    open_unknown = sorted(chat for chat in still_open if chat not in stored)
    open_unassigned = sorted(chat for chat, curator in still_open.items() if not curator)
    term = int(psql(direct_url, password, f"SELECT term FROM {table}.leader_lease"))

    measured = [took for took in takeovers if took is not None]
    print(f"\nseed {args.seed}; lease ttl {args.ttl} s; {len(killed)} kills (runtimes {''.join(map(str, killed))}); final term {term}")
    if measured:
        print(f"takeover after SIGKILL: median {statistics.median(measured):.2f} s, worst {max(measured):.2f} s")
    print(f"actions: {len(actions)} requests, {sum(applied.values())} applied, {replayed} answered again (resent after a switch)")
    print(f"chats opened: {opened}; known to the store: {known}; replied to: {len(replies)}; assigned: {len(assigned)}; "
          f"alerts: {len(alerts)} ({resent_alerts} resent with the same key)")
    print(f"chats still open at the end: {len(still_open)}, {len(open_unassigned)} of them without a curator; "
          f"{opened - known} opened and closed again while no runtime read the socket, never seen (catch-up lists open chats only)")
    check(len(measured) == len(takeovers) and len(killed) == args.kills, "the other runtime took over after every kill")
    check(all(took <= args.ttl + 2 for took in measured), f"every takeover within the lease's ttl + 2 s ({args.ttl + 2} s)")
    check(all(killed[index] != killed[index + 1] for index in range(len(killed) - 1)), "the kills alternated between the two runtimes")
    if not args.no_pause:
        check(paused_stood_by is True, "the leader paused past its lease stood by after SIGCONT, and the other led")
    if args.db_down > 0:
        down, back, after = database_round
        check(not down and back is not None and len(after) == 1,
              f"no runtime led while the database was down, exactly one after ({down}; {after})")
    check(len(replies) > 0 and len(assigned) > 0 and len(alerts) > 0, "the bots acted (replies, assignments and alerts arrived)")
    check(statuses == [0, 0], f"both runtimes stopped gracefully ({statuses})")
    check(all(count == 1 for count in replies.values()), "no chat got two after-hours replies")
    check(all(count == 1 for count in assigned.values()), "no chat assigned twice")
    twice = sorted((triple, sorted(keys)) for triple, keys in alert_keys.items() if len(keys) > 1)
    check(not twice, f"no SLA alert decided twice (one key per chat, message, level; {len(twice)} twice: {twice[:5]})")
    check(pending == 0 and dead == 0, f"nothing committed was lost (outbox pending {pending}, dead or expired {dead})")
    check(not open_unknown, f"the store knows every chat still open ({len(open_unknown)} unknown: {open_unknown[:10]})")
    check(not open_unassigned, f"every chat still open has a curator ({len(open_unassigned)} without: {open_unassigned[:10]})")
    if args.keep:
        print(f"\nschema {schema} kept; work folder: {work}")
    else:
        psql(direct_url, password, f"DROP SCHEMA {table} CASCADE")
        print(f"\nwork folder (logs): {work}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
