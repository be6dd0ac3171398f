#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the GUI need.
# Safe to run again: apt-get skips what is already installed. Extra packages can be given as
# arguments (scripts/fuzz.sh adds clang and libclang-rt-14-dev).
set -euo pipefail
PKGS=(
  build-essential cmake pkg-config git
  libimgui-dev libglfw3-dev python3-glad
  nlohmann-json3-dev catch2 libcli11-dev
  libfasttext-dev liblinear-dev libpoppler-cpp-dev libsqlite3-dev libutf8proc-dev
  libstb-dev libx11-dev xvfb xdotool x11-utils imagemagick fonts-dejavu-core fonts-noto-cjk
  help2man librsvg2-bin dpkg-dev file desktop-file-utils
  "$@"
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "== installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
