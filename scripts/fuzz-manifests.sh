#!/usr/bin/env bash
# Fuzzes the manifest decoders with libFuzzer for SECONDS (default 60).
#
#   scripts/fuzz-manifests.sh [SECONDS]
#
# Builds pulpform-fuzz with -sanitize=fuzzer into .build-fuzz (its own build folder, so the normal build is left
# alone), seeds it with Fuzz/corpus and the shipped examples, and runs it. Every input must end in a manifest or in
# diagnostics that point into the file, with messages of readable length, the fast path and the tree decoder
# agreeing (Fuzz/ManifestFuzzing); each input gets at most 10 s and 2 GB. A crash, a violation, a timeout or
# running out of memory fails the run; libFuzzer writes the input to $FUZZ_ARTIFACTS (default .build-fuzz/artifacts/),
# and `.build-fuzz/debug/pulpform-fuzz FILE` replays it. New inputs that reach new code are kept in
# .build-fuzz/corpus, so later runs start from them.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
artifacts=${FUZZ_ARTIFACTS:-.build-fuzz/artifacts/}

echo "== building pulpform-fuzz with libFuzzer (.build-fuzz)"
swift build --scratch-path .build-fuzz --product pulpform-fuzz \
    -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library -Xswiftc -DPULPFORM_LIBFUZZER 2>&1 | grep -E "error|Compiling|Build" | grep -v "^\[" || true
fuzzer=.build-fuzz/debug/pulpform-fuzz
test -x "$fuzzer" || { echo "error: the fuzzer did not build" >&2; exit 1; }

seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
cp Fuzz/corpus/* "$seeds/"
find examples -name '*.yaml' -o -name '*.yml' | while read -r f; do cp "$f" "$seeds/$(echo "$f" | tr / _)"; done
mkdir -p .build-fuzz/corpus "$artifacts"

echo "== fuzzing the manifest decoders for ${seconds} s"
log=$(mktemp)
status=0
SWIFT_BACKTRACE=enable=no "$fuzzer" .build-fuzz/corpus "$seeds" -dict=Fuzz/manifest.dict -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$artifacts" > "$log" 2>&1 || status=$?
grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|stat::new_units_added)" "$log" || true
if [ "$status" -ne 0 ]; then
    tail -n 60 "$log"
    echo "manifest fuzzing FAILED (exit $status); the input is in $artifacts" >&2
    exit 1
fi
runs=$(grep -E "^stat::number_of_executed_units" "$log" | awk '{print $2}')
echo "manifest fuzzing: ${runs:-?} inputs in ${seconds} s, 0 crashes, 0 violations, 0 timeouts"
