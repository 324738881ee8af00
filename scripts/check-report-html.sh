#!/usr/bin/env bash
# Opens the HTML compliance report in headless Chromium and checks that it renders its four
# charts, loads nothing and logs no console error or CSP violation.
#
#   scripts/check-report-html.sh [REPORT.html] [SCREENSHOT.png]
#
# Without REPORT.html it seeds a temporary store through the public commands (Claude Code hook
# payloads, `aiperture check --batch`) with the built binary ($AIPERTURE_BIN, default
# target/debug/aiperture; run `cargo build` first) and renders that store's report.
# Needs Debian's `chromium` (apt-get install -y chromium). Exit 0 when every check passes.
set -euo pipefail
cd "$(dirname "$0")/.."

CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [[ -z "$CHROMIUM" ]]; then
    echo "check-report-html: chromium not found (apt-get install -y chromium)" >&2
    exit 1
fi
BIN=${AIPERTURE_BIN:-target/debug/aiperture}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

html=${1:-}
shot=${2:-$work/report.png}
if [[ -z "$html" ]]; then
    [[ -x "$BIN" ]] || { echo "check-report-html: $BIN not built (cargo build)" >&2; exit 1; }
    export AIPERTURE_HOME="$work/home" AIPERTURE_DB_PATH="$work/aiperture.db" HOME="$work"
    now=1795680000000
    hook() { # event session tool_use_id command
        AIPERTURE_NOW_MS=$now "$BIN" hook claude-code >/dev/null <<EOF
{"session_id":"$2","cwd":"/tmp/acme","permission_mode":"default","hook_event_name":"$1",
 "tool_name":"Bash","tool_input":{"command":"$4"},"tool_use_id":"$3",
 "tool_response":{"stdout":"","stderr":"","interrupted":false,"isImage":false}}
EOF
    }
    for i in $(seq 0 11); do
        now=$((now + 3600000))
        hook PreToolUse "s$i" "t$i" "npm test"
        hook PostToolUse "s$i" "t$i" "npm test"
        hook PreToolUse "s$i" "u$i" "cargo build --release"
        [[ $((i % 3)) == 0 ]] && hook PostToolUse "s$i" "u$i" "cargo build --release"
        hook PreToolUse "s$i" "v$i" "rm -rf / <script>alert(1)</script>"
    done
    hook PostToolUse "s-gap" "g1" "make deploy"
    printf '{"command":"ls -la"}\n{"command":"git status"}\n' |
        AIPERTURE_NOW_MS=$now "$BIN" check --batch --session s-cli >/dev/null || true
    html="$work/report.html"
    AIPERTURE_NOW_MS=$((now + 60000)) "$BIN" report --format html --out "$html" || true
fi
[[ -s "$html" ]] || { echo "check-report-html: no report at $html" >&2; exit 1; }

abs=$(cd "$(dirname "$html")" && pwd)/$(basename "$html")
flags=(--headless --no-sandbox --disable-gpu --disable-background-networking
       --disable-dev-shm-usage --no-first-run --user-data-dir="$work/profile"
       --enable-logging=stderr --v=0)
"$CHROMIUM" "${flags[@]}" --dump-dom "file://$abs" >"$work/dom.html" 2>"$work/dom.log" || {
    cat "$work/dom.log" >&2; echo "check-report-html: chromium failed" >&2; exit 1; }
"$CHROMIUM" "${flags[@]}" --window-size=1280,2600 --hide-scrollbars --screenshot="$shot" \
    "file://$abs" >/dev/null 2>"$work/shot.log" || true

fail=0
check() { # description, command...
    local what=$1; shift
    if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fail=1; fi
}
dom="$work/dom.html"
check "rendered DOM has 4 inline SVG charts" \
    test "$(grep -o '<svg' "$dom" | wc -l)" -eq 4
for id in chart-decisions chart-prompts chart-asked chart-risk; do
    check "chart #$id rendered with marks" \
        grep -Eq "id=\"$id\".*<svg[^>]*>.*<(rect|circle|polyline|text)" "$dom"
done
check "no <script> element" bash -c "! grep -qi '<script' '$dom'"
check "status banner present" grep -q 'class="banner' "$dom"
check "no console errors or blocked loads" \
    bash -c "! grep -Eiq 'Uncaught|Refused to|ERR_|CONSOLE.*error' '$work/dom.log'"
if [[ -s "$shot" ]]; then
    echo "ok   screenshot written to $shot"
else
    echo "warn no screenshot (see $work/shot.log)"
fi
exit $fail
