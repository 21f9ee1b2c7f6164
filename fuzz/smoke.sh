#!/usr/bin/env bash
# A bounded fuzz smoke: builds every fuzz target once, then runs each for a few seconds from its
# seed corpus (fuzz/corpus/<target>) and fails on the first crash, panic, leak or timeout.
# Installs cargo-fuzz when it is missing. See docs/security/fuzzing.md.
#
#   fuzz/smoke.sh                       # 20 s per target, address sanitizer
#   FUZZ_SMOKE_SECONDS=60 fuzz/smoke.sh
#   FUZZ_SANITIZER=none fuzz/smoke.sh   # where the address sanitizer cannot build
set -euo pipefail

cd "$(dirname "$0")/.."
seconds="${FUZZ_SMOKE_SECONDS:-20}"
sanitizer="${FUZZ_SANITIZER:-address}"

# cargo-fuzz passes nightly-only flags (-Z, sanitizers) to rustc; this lets a stable toolchain take them.
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is missing: installing it" >&2
    cargo install cargo-fuzz --locked
fi

# Each target with the dictionary of the syntax it reads.
targets=(
    "observation_json json"
    "mqtt_payload json"
    "city_pack toml"
    "rules rules"
    "api_bodies json"
    "vision_config toml"
)

started=$(date +%s)
cargo fuzz build --sanitizer "$sanitizer"

failed=()
mkdir -p fuzz/target/smoke-logs
for entry in "${targets[@]}"; do
    read -r target dict <<<"$entry"
    # A fresh working corpus each time: the seeds stay as committed.
    work="fuzz/target/smoke-corpus/$target"
    rm -rf "$work"
    mkdir -p "$work"
    # libFuzzer's progress lines go to a log; the summary (or the crash) is printed.
    log="fuzz/target/smoke-logs/$target.log"
    if cargo fuzz run --sanitizer "$sanitizer" "$target" "$work" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -timeout=30 -dict="fuzz/dicts/$dict.dict" -print_final_stats=1 >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
        echo "fuzz smoke: $target: ${seconds}s, ${runs:-?} runs, ${coverage:-cov: ?}, no crash" >&2
    else
        failed+=("$target")
        echo "fuzz smoke: $target FAILED; the end of $log:" >&2
        tail -n 60 "$log" >&2
    fi
done

echo "fuzz smoke: $(( $(date +%s) - started ))s for ${#targets[@]} targets" >&2
if (( ${#failed[@]} > 0 )); then
    echo "fuzz smoke: crashes in ${failed[*]} (inputs under fuzz/artifacts/)" >&2
    exit 1
fi
