#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for a bounded time on its seed corpus and keeps
# the logs in fuzz/artifacts/logs/. Stable toolchains need RUSTC_BOOTSTRAP=1 for the sanitizer flags.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (default 120 s, all targets)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-120}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(hook_claude_code hook_codex hook_gemini hook_cursor hook_copilot hook_openclaw shell_assess)
fi
export RUSTC_BOOTSTRAP=1
python3 scripts/fuzz_seeds.py "${AIPERTURE_CORPORA:-/work/shared/corpora}"
mkdir -p fuzz/artifacts/logs
for t in "${targets[@]}"; do
  echo "== $t: ${secs}s"
  (cd fuzz && cargo fuzz run -O "$t" "corpus/$t" -- \
      -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
      -print_final_stats=1) >"fuzz/artifacts/logs/$t.log" 2>&1 || echo "!! $t stopped: see fuzz/artifacts/logs/$t.log"
  grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|Done)|SUMMARY|panicked" "fuzz/artifacts/logs/$t.log" || true
done
