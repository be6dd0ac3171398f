#!/usr/bin/env bash
# Builds the Debian package into build/: htc-trainer_<version>_<arch>.deb, with its
# dependencies declared (shared libraries found by dpkg-shlibdeps, plus fonts and OpenGL).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
cd build
cpack -G DEB
ls -1 "$PWD"/htc-trainer_*.deb
