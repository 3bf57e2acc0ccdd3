#!/usr/bin/env bash
# Fuzzes the parsers a stranger's bytes reach first: callback, send, mqtt, ids (or the targets named).
#   ./scripts/fuzz.sh                      every target, 1,000,000 in-process mutations each (no coverage feedback)
#   ./scripts/fuzz.sh send callback        only those targets
#   FUZZ_MODE=afl ./scripts/fuzz.sh send   coverage-guided under afl-fuzz (installs afl++ and the SharpFuzz tool,
#                                          instruments the parsers' assemblies; runs until stopped, FUZZ_SECONDS to bound it)
# Crashing inputs land in fuzz-out/<target>/ (afl: fuzz-out/<target>/default/crashes/). Exit status 1 on a crash.
set -euo pipefail
cd "$(dirname "$0")/.."
targets=("$@"); [ ${#targets[@]} -eq 0 ] && targets=(callback send mqtt ids)
mode="${FUZZ_MODE:-run}"
executions="${FUZZ_EXECUTIONS:-1000000}"
dotnet build tests/OrleansWeCom.Fuzz -c Release -nologo -v q >/dev/null
bin=tests/OrleansWeCom.Fuzz/bin/Release/net10.0
mkdir -p fuzz-out
status=0
if [ "$mode" = run ]; then
  for t in "${targets[@]}"; do
    (cd fuzz-out && dotnet "../$bin/OrleansWeCom.Fuzz.dll" "$t" run "$executions" "../tests/OrleansWeCom.Fuzz/Corpus/$t") || status=1
  done
  exit $status
fi

command -v afl-fuzz >/dev/null || { apt-get update -qq && apt-get install -y -qq afl++ >/dev/null; }
command -v sharpfuzz >/dev/null || { dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0 >/dev/null; export PATH="$PATH:$HOME/.dotnet/tools"; }
# Instrument the assemblies whose code is fuzzed (once per build; sharpfuzz refuses an instrumented assembly twice).
for dll in OrleansWeCom.Abstractions.dll OrleansWeCom.Gateway.dll; do sharpfuzz "$bin/$dll" 2>/dev/null || true; done
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1
for t in "${targets[@]}"; do
  timeout "${FUZZ_SECONDS:-0}" afl-fuzz -i "tests/OrleansWeCom.Fuzz/Corpus/$t" -o "fuzz-out/$t" -t 5000 -m none \
    -- dotnet "$bin/OrleansWeCom.Fuzz.dll" "$t" afl || true
  if ls "fuzz-out/$t/default/crashes/"id* >/dev/null 2>&1; then echo "$t: crashes in fuzz-out/$t/default/crashes"; status=1; fi
done
exit $status
