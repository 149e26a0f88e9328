#!/usr/bin/env bash
# Builds and tests the README's "Write your own bot" as the separate package it
# describes, against this checkout: the blocks marked `<!-- readme-example: PATH -->`
# are written to PATH in a fresh package, whose dependency on ChatBots points here.
# Also holds the README to its promises: the bot and its test fit in 40 lines, as the
# project's swift-format (.swift-format) formats them.
#
#   Scripts/check_readme_example.sh [--no-build] [FOLDER]   # default /tmp/chatbots-readme-example
#
# With --no-build it writes the package, counts and lints, and builds nothing: CI runs
# that (a second package builds every dependency again, about as long as a first build).
set -euo pipefail
checkout="$(cd "$(dirname "$0")/.." && pwd)"
build=true
if [ "${1:-}" = --no-build ]; then build=false; shift; fi
folder="${1:-/tmp/chatbots-readme-example}"
mkdir -p "$folder"
# The package is named by its folder: the README's `package: "chatbots"` needs one so named.
ln -sfn "$checkout" "$folder/chatbots"
package="$folder/MyBots"
rm -rf "$package/Sources" "$package/Tests" "$package/Package.swift"
mkdir -p "$package"

python3 - "$checkout/README.md" "$package" <<'PY'
import os, re, sys
readme, package = sys.argv[1], sys.argv[2]
text = open(readme, encoding="utf-8").read()
blocks = re.findall(r"<!-- readme-example: (\S+) -->\n```\w*\n(.*?)\n```", text, re.S)
if not blocks:
    sys.exit("check_readme_example: no <!-- readme-example: PATH --> blocks in README.md")
lines = {}
for path, code in blocks:
    if path == "Package.swift":
        code, count = re.subn(r'\.package\(url: "[^"]+", branch: "main"\)', '.package(path: "../chatbots")', code)
        if count != 1:
            sys.exit("check_readme_example: the README's Package.swift has no dependency line to point here")
    target = os.path.join(package, path)
    os.makedirs(os.path.dirname(target) or package, exist_ok=True)
    open(target, "w", encoding="utf-8").write(code + "\n")
    lines[path] = code.count("\n") + 1
    print(f"  {path}: {lines[path]} lines")
bot_and_test = sum(n for p, n in lines.items() if p.startswith(("Sources/WelcomeBot/", "Tests/")))
print(f"  the bot and its test: {bot_and_test} lines")
if bot_and_test > 40:
    sys.exit(f"check_readme_example: the bot and its test take {bot_and_test} lines; the README promises forty")
PY

# Formatted as the project formats its own code.
swift format lint --strict --configuration "$checkout/.swift-format" -r "$package/Sources" "$package/Tests"
echo "  formatted by the project's swift-format"
$build || exit 0

cd "$package"
swift build --build-tests
swift test
echo "check_readme_example: the README's example builds and its test passes (in $package)"
