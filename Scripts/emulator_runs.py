"""What the scripts that run `chatbots run` against `chatbots emulator` share: the
configuration's connection part, owner-only config files, and HTTP reads that wait for
a process to listen. Imported by crash_test.py and delivery_pace.py (Python puts a
script's own folder on its import path)."""
import json
import os
import time
import urllib.request

# server, auth, service account, alert webhook and store, for the emulator on {port};
# a script appends its own engine, monitoring, logging and bots sections.
CONNECTION = """\
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
store:
  path: {store}
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
