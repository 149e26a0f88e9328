#!/usr/bin/env bash
# The Autobahn|Testsuite client cases (1-7, 9, 10; 12-13 are permessage-deflate, which
# the gateway does not offer) against the gateway's WebSocket client setup.
#
#   swift build --product chatbots && Scripts/autobahn.sh
#
# kosoku (PyPI) plays the fuzzing server; `chatbots conformance` connects to each case
# with the gateway's own client configuration and echoes it. The HTML/JSON report
# lands in reports/servers/. Exits non-zero if any case fails.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${CHATBOTS_BINARY:-.build/debug/chatbots}
venv=${KOSOKU_VENV:-.build-kosoku}
port=${AUTOBAHN_PORT:-9001}

if [ ! -x "$venv/bin/kosoku" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet kosoku==0.1.0
fi

cases=()
for group in 1 2 3 4 5 6 7 9 10; do cases+=(-i "$group.*"); done
"$venv/bin/kosoku" -m fuzzingserver "${cases[@]}" -o reports/servers "127.0.0.1:$port" > reports-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
"$binary" conformance --server "ws://127.0.0.1:$port"
# Under set -e a failing wait would end the script before the report tail is shown.
status=0
wait "$server" || status=$?
tail -n 3 reports-server.log
exit $status
