#!/usr/bin/env bash
# Builds ChatBotKit's documentation (the DocC catalog in Sources/ChatBotKit/ChatBotKit.docc,
# with the article "Your first bot") and fails on any warning: a symbol link that no
# longer resolves, a missing topic. The site lands in .build/docs (open index.html
# through a web server, or `docc preview` the catalog while writing).
set -euo pipefail
cd "$(dirname "$0")/.."
swift package --allow-writing-to-directory .build/docs generate-documentation \
    --target ChatBotKit --warnings-as-errors --output-path .build/docs \
    --transform-for-static-hosting --hosting-base-path chatbots
echo "build_docs: ChatBotKit's documentation built without warnings (.build/docs)"
