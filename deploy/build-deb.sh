#!/usr/bin/env bash
# build-deb.sh - build Vigil's Debian packages (vigil-agent, vigil-collector,
# vigil-cli) into build-deb/.
#
#   deploy/build-deb.sh
#
# Needs dpkg-dev and debhelper (apt-get install dpkg-dev debhelper) and the
# Build-Depends of deploy/debian/control. The packaging lives in deploy/debian/
# and is copied to debian/ in a clean copy of the sources under build-deb/src,
# so the working tree is left alone.
set -euo pipefail

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

missing=()
command -v dpkg-buildpackage >/dev/null || missing+=(dpkg-dev)
command -v dh >/dev/null || missing+=(debhelper)
if ((${#missing[@]} > 0)); then
    echo "build-deb: missing tools; install them with: apt-get install ${missing[*]}" >&2
    exit 1
fi

out=build-deb
rm -rf "$out"
mkdir -p "$out/src"
# The files git tracks (with their changes in the working tree), or, outside a
# git checkout, everything but build trees and the demo's state.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z | tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -x -C "$out/src"
else
    tar --exclude='./build*' --exclude=./.demo --exclude=./.git -cf - . | tar -x -C "$out/src"
fi
rm -rf "$out/src/debian"
cp -r deploy/debian "$out/src/debian"
chmod +x "$out/src/debian/rules"

(cd "$out/src" && dpkg-checkbuilddeps) || {
    echo "build-deb: install the missing build dependencies above with apt-get" >&2
    exit 1
}
(cd "$out/src" && dpkg-buildpackage -us -uc -b)
echo
echo "packages:"
ls -1 "$out"/*.deb
