#!/usr/bin/env bash
# Refreshes the user guide's screenshots: runs the GUI tests that take them (the real window
# under Xvfb) and copies the chosen ones to docs/images as small 64-colour PNGs.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
(cd build && ctest -R 'gui_e2e_(first-run|retrain|feedback)' --output-on-failure)
mkdir -p docs/images
for name in first-run first-model first-model-models first-model-upload first-model-history \
            first-model-job retrain-running retrain-compare \
            upload-label-picker upload-corrected models-compare; do
    convert "build/screenshots/$name.png" +dither -colors 64 -strip "PNG8:docs/images/$name.png"
done
ls -l docs/images
