#!/usr/bin/env bash
# Runs a command under a private Xvfb server: Xvfb picks a free display number itself
# (-displayfd), the command runs with DISPLAY set to it, and the server is stopped afterwards.
# The exit code is the command's.
set -u
if ! command -v Xvfb >/dev/null 2>&1; then
    echo "run_with_xvfb: Xvfb is not installed (scripts/setup.sh installs xvfb)" >&2
    exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
Xvfb -displayfd 5 -screen 0 1400x900x24 -nolisten tcp 5>"$tmp/display" 2>"$tmp/xvfb.log" &
xvfb_pid=$!
for _ in $(seq 1 200); do
    [ -s "$tmp/display" ] && break
    if ! kill -0 "$xvfb_pid" 2>/dev/null; then
        echo "run_with_xvfb: Xvfb did not start:" >&2
        cat "$tmp/xvfb.log" >&2
        exit 1
    fi
    sleep 0.05
done
if [ ! -s "$tmp/display" ]; then
    echo "run_with_xvfb: Xvfb did not report a display within 10 s" >&2
    kill "$xvfb_pid" 2>/dev/null
    exit 1
fi
display=":$(head -n1 "$tmp/display")"
DISPLAY="$display" "$@"
rc=$?
kill "$xvfb_pid" 2>/dev/null
wait "$xvfb_pid" 2>/dev/null
exit $rc
