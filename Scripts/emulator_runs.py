"""What the scripts that run `chatbots run` against `chatbots emulator` share: the
configuration's connection part, owner-only config files, and HTTP reads that wait for
a process to listen. Imported by crash_test.py, failover_test.py and delivery_pace.py (Python puts a
script's own folder on its import path)."""
import collections
import json
import os
import time
import urllib.request

# server, auth, service account and alert webhook, for the emulator on {port}; a
# script adds its store and its own engine, monitoring, logging and bots sections.
SERVER = """\
server:
  url: ws://127.0.0.1:{port}
  ping_interval_seconds: 5
auth:
  keycloak:
    token_url: http://127.0.0.1:{port}/realms/support/protocol/openid-connect/token
    client_id: chatbots
    client_secret: chatbots-secret
service_account_id: 1000
alerts:
  webhook_url: http://127.0.0.1:{port}/hooks/alerts
"""

# The same with a SQLite store at {store}.
CONNECTION = SERVER + """\
store:
  path: {store}
"""

# The three built-in bots as the long runs use them: every chat gets an after-hours
# reply, curators take up to {max_open_chats} chats, unread messages warn at 2 s and
# breach at 4 s.
BUILT_IN_BOTS = """\
bots:
  - type: auto_assign
    options: {{strategy: least_loaded, max_open_chats: {max_open_chats}}}
  - type: after_hours
    options:
      hours: {{time_zone: UTC, mode: always_closed}}
      replies: {{en: "Closed; back {{next_open}}.", ru: "Закрыто; вернёмся {{next_open}}."}}
      default_language: en
      reply_on_new_chat: false
  - type: sla_alerts
    options:
      policies: [{{kind: unread, warning: 2s, breach: 4s}}]
"""


def write_config(path, text):
    """Writes a config owner-only: the runtime refuses a readable file holding a secret."""
    with open(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600), "w") as file:
        file.write(text)


def get_text(url):
    with urllib.request.urlopen(url, timeout=30) as answer:
        return answer.read().decode()


def get_json(url):
    return json.loads(get_text(url))


def wait_for(url, deadline=60):
    """The first answer at `url`, once something listens there."""
    end = time.time() + deadline
    while time.time() < end:
        try:
            return get_text(url)
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing answered at {url} within {deadline} s")


def count_record(record):
    """What the emulator's record says the runtimes did, as the crash and failover tests
    check it: every action, the keys applied, the resends answered from the stored
    answer, applied replies and assignments by chat, the alerts, each alert's keys by
    (chat, message, SLA level), and the alerts resent under a key already sent."""
    actions = record["actions"]
    applied = collections.Counter(a["idempotency_key"] for a in actions if a["outcome"] == "applied")
    replayed = sum(1 for a in actions if a["outcome"] == "replayed")
    replies = collections.Counter(a["path"] for a in actions if a["outcome"] == "applied" and a["path"].endswith("/messages/"))
    assigned = collections.Counter(a["path"] for a in actions if a["outcome"] == "applied" and a["path"].endswith("/assign/"))
    alerts = record["alerts"]
    alert_keys = collections.defaultdict(set)
    for alert in alerts:
        details = alert["body"].get("alert", {})
        alert_keys[(details.get("chat_id"), details.get("message_id"), details.get("sla_level"))].add(details.get("idempotency_key"))
    resent_alerts = len(alerts) - len({key for keys in alert_keys.values() for key in keys})
    return actions, applied, replayed, replies, assigned, alerts, alert_keys, resent_alerts
