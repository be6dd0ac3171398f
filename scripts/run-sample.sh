#!/usr/bin/env bash
# One command for a fresh Debian 12 machine: install dependencies, build, and
# retrain a model on the bundled sample (assets/sample), then classify with it.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh htc-trainer   # the program only; scripts/test.sh builds the tests
DATA=${HTC_DATA_DIR:-./db}
./build/htc-trainer retrain assets/sample --data-dir "$DATA"
./build/htc-trainer models --data-dir "$DATA"
./build/htc-trainer classify assets/sample-documents --data-dir "$DATA"
