#!/usr/bin/env bash
# tests/run.sh - install what is missing, build with the sanitizers, run every test.
#
#   tests/run.sh
#
# 1. installs the missing Debian packages (as root, with apt-get; otherwise it
#    names the command to run);
# 2. builds build-test/ with AddressSanitizer + UndefinedBehaviorSanitizer and
#    -Werror, and runs the whole ctest suite: unit and integration tests (the
#    "pg" fixture starts a private PostgreSQL cluster and stops it);
# 3. when clang is there and tests/fuzz/ exists, builds build-fuzz/ with
#    libFuzzer and runs the fuzz targets (ctest -L fuzz) for their bounded time.
#
# Exits non-zero if anything failed. With CI set, a missing PostgreSQL is a
# failure; without it, the integration tests are skipped with a warning.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# python3: the scripted HTTP server the agent's http tests talk to
# (tests/helpers/http_server.py); a minimal Debian image lacks it.
# python3-aiosmtpd and prometheus-alertmanager: the notify tests' SMTP sink
# and real Alertmanager peer. python3-prometheus-client, prometheus (promtool):
# the exposition parsers the scrape input is compared with
# (tests/helpers/scrape_peers.py), and the rule unit tests are compared with.
packages=(build-essential cmake pkg-config libzmq3-dev libczmq-dev libprotobuf-c-dev
          protobuf-c-compiler libcurl4-openssl-dev libpq-dev libfyaml-dev libpcre2-dev
          postgresql clang libclang-rt-14-dev valgrind python3 openssl
          libmicrohttpd-dev libsodium-dev tzdata python3-aiosmtpd prometheus-alertmanager
          python3-prometheus-client prometheus
          chromium) # chromium: the HTML report and status page opened headless
jobs=$(nproc 2>/dev/null || echo 2)
ci=${CI:-}
[[ "$ci" == "false" || "$ci" == "0" ]] && ci=

say() { printf '\n==> %s\n' "$*"; }

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

have_postgres() {
    compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}

install_missing() {
    local missing=() p
    for p in "${packages[@]}"; do
        installed "$p" || missing+=("$p")
    done
    ((${#missing[@]} == 0)) && return 0
    if [[ $(id -u) -ne 0 ]]; then
        echo "tests/run.sh: missing packages: ${missing[*]}" >&2
        echo "tests/run.sh: install them as root: apt-get install ${missing[*]}" >&2
        return 1
    fi
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q </dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
}

failed=()
warnings=()

# --- 1. packages -------------------------------------------------------------
if ! install_missing; then
    # Without the build packages nothing can run; without PostgreSQL only the
    # integration tests are lost, and only outside CI is that acceptable.
    if command -v cmake >/dev/null && command -v pkg-config >/dev/null &&
        pkg-config --exists libczmq libprotobuf-c libfyaml libpq libcurl libpcre2-8 \
            libmicrohttpd libsodium; then
        echo "tests/run.sh: going on with what is installed" >&2
    else
        exit 1
    fi
fi

ctest_args=(--output-on-failure)
if ! have_postgres; then
    if [[ -n "$ci" ]]; then
        echo "tests/run.sh: PostgreSQL server binaries are missing (apt-get install postgresql);" \
            "CI is set, so this is a failure" >&2
        exit 1
    fi
    echo "tests/run.sh: WARNING: PostgreSQL server binaries are missing;" \
        "skipping the integration tests (apt-get install postgresql)" >&2
    ctest_args+=(-LE integration)
    warnings+=("the integration tests were skipped: no PostgreSQL server binaries")
fi

# --- 2. the sanitizer build and the whole suite -------------------------------
say "building build-test (ASan + UBSan, -Werror)"
if cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DVIGIL_SANITIZE=ON -DVIGIL_WERROR=ON \
    -DVIGIL_BUILD_TESTS=ON && cmake --build build-test -j"$jobs"; then
    say "running the tests (ctest ${ctest_args[*]})"
    # Leak reports are failures; halt_on_error keeps the first report readable.
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    (cd build-test && ctest "${ctest_args[@]}") || failed+=("ctest in build-test")
else
    failed+=("build of build-test")
fi

# --- 3. fuzz targets -----------------------------------------------------------
if [[ ! -f tests/fuzz/CMakeLists.txt ]]; then
    say "fuzz targets: tests/fuzz/CMakeLists.txt does not exist yet; skipping"
elif ! command -v clang >/dev/null; then
    if [[ -n "$ci" ]]; then
        failed+=("fuzz targets: clang is missing")
    else
        say "fuzz targets: clang is not installed; skipping (apt-get install clang libclang-rt-14-dev)"
    fi
else
    say "building build-fuzz (clang, libFuzzer)"
    if CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DVIGIL_FUZZ=ON \
        -DVIGIL_BUILD_TESTS=ON && cmake --build build-fuzz -j"$jobs" --target fuzz_targets; then
        say "running the fuzz targets (ctest -L fuzz)"
        (cd build-fuzz && ctest -L fuzz --no-tests=error --output-on-failure) ||
            failed+=("fuzz targets")
    else
        failed+=("build of build-fuzz")
    fi
fi

# --- summary -------------------------------------------------------------------
if ((${#warnings[@]} > 0)); then
    printf '\ntests/run.sh: WARNING:\n' >&2
    printf '  - %s\n' "${warnings[@]}" >&2
fi
if ((${#failed[@]} > 0)); then
    printf '\ntests/run.sh: FAILED:\n' >&2
    printf '  - %s\n' "${failed[@]}" >&2
    exit 1
fi
printf '\ntests/run.sh: all tests passed\n'
