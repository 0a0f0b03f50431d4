#!/bin/sh
# run.sh - `make fuzz`: check for clang and its sanitizer runtimes (install them when we
# can), build every libFuzzer target, build the seed corpora from captures/, run each
# target FUZZ_SECONDS seconds.  Exit status 1 when a target crashed, hung or leaked.
#   FUZZ_SECONDS=60 sh tests/fuzz/run.sh fuzz_pkt fuzz_dns ...
set -u
cd "$(dirname "$0")/../.." || exit 1
secs=${FUZZ_SECONDS:-30}
cc=${FUZZ_CC:-clang}
make=${MAKE:-make}
[ $# -gt 0 ] || set -- $(cd tests/fuzz && ls fuzz_*.c | sed 's/\.c$//')

# --- the compiler: libFuzzer ships with clang's compiler-rt (Debian: libclang-rt-NN-dev)
have_fuzzer() {
	command -v "$cc" >/dev/null 2>&1 &&
	printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n){(void)d;(void)n;return 0;}\n' |
		"$cc" -x c -fsanitize=fuzzer,address,undefined -o /dev/null - >/dev/null 2>&1
}
if ! have_fuzzer; then
	cmd="apt-get install -y clang libclang-rt-dev"
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "fuzz: installing clang libclang-rt-dev" >&2
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive $cmd -qq; } >&2
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		echo "fuzz: installing clang libclang-rt-dev through sudo" >&2
		{ sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive $cmd -qq; } >&2
	fi
	if ! have_fuzzer; then
		echo "fuzz: '$cc -fsanitize=fuzzer' does not link; run: sudo apt-get update && sudo $cmd" >&2
		exit 1
	fi
fi
command -v python3 >/dev/null 2>&1 || { echo "fuzz: python3 is needed for the seed corpora" >&2; exit 1; }

bins=""
for t in "$@"; do bins="$bins build/fuzz/$t"; done
echo "fuzz: building$bins"
$make -s --no-print-directory $bins || exit 1

# --- seeds: rebuilt every run (captures/ may have grown); what the fuzzer found stays in
# build/fuzz/corpus/<target>/ between runs
python3 tests/fuzz/seeds.py captures build/fuzz/seeds >/dev/null || exit 1

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
bad=0
for t in "$@"; do
	corpus=build/fuzz/corpus/$t art=build/fuzz/artifacts/$t/
	mkdir -p "$corpus" "$art"
	extra=""
	[ "$t" = fuzz_pipeline ] && extra="-max_len=262144"
	log=build/fuzz/$t.log
	printf 'fuzz: %-14s %ss ... ' "$t" "$secs"
	./build/fuzz/$t -max_total_time="$secs" -timeout=5 -rss_limit_mb=512 -print_final_stats=1 \
		-artifact_prefix="$art" $extra "$corpus" "build/fuzz/seeds/$t" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	if [ $rc -eq 0 ]; then
		echo "ok: ${execs:-?} runs, coverage ${cov:-?} edges"
	else
		bad=1
		found=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
		what=$(grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|SUMMARY' "$log")
		echo "FAIL (exit $rc): ${what:-see $log}"
		echo "  input: ${found:-none written}; log: $log"
		echo "  reproduce: ./build/fuzz/$t ${found:-}"
	fi
done
[ $bad -eq 0 ] && echo "fuzz: every target ran ${secs}s without a crash" || echo "fuzz: crashes found (see above)"
exit $bad
