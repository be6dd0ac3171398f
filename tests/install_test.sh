#!/usr/bin/env bash
# cmake --install into a temporary prefix, then use the installed copy as a user would: the
# files in their places, --version, --help, the man page, and the data folder under
# $HOME/.local/share/htc-trainer with the bundled sample.
#   usage: install_test.sh BUILD_DIR
set -euo pipefail
build=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "install_test: $*" >&2; exit 1; }
cmake --install "$build" --prefix "$tmp/usr" >/dev/null
p=$tmp/usr
for f in bin/htc-trainer share/applications/htc-trainer.desktop \
         share/icons/hicolor/scalable/apps/htc-trainer.svg \
         share/icons/hicolor/48x48/apps/htc-trainer.png \
         share/icons/hicolor/256x256/apps/htc-trainer.png \
         share/man/man1/htc-trainer.1.gz share/htc-trainer/sample/feedback.csv \
         share/htc-trainer/sample/more-feedback.jsonl share/doc/htc-trainer/README.md; do
    [ -s "$p/$f" ] || fail "$f is not installed"
done
file "$p/share/icons/hicolor/48x48/apps/htc-trainer.png" | grep -q "48 x 48" || fail "48x48 icon size"
grep -qx "Exec=htc-trainer" "$p/share/applications/htc-trainer.desktop" || fail "desktop Exec"
grep -qx "Icon=htc-trainer" "$p/share/applications/htc-trainer.desktop" || fail "desktop Icon"
version=$("$p/bin/htc-trainer" --version)
[ "$version" = "htc-trainer $(sed -n 's/^project(htc-trainer VERSION \([0-9.]*\).*/\1/p' "$(dirname "$0")/../CMakeLists.txt")" ] \
    || fail "--version printed '$version'"
# Captured first: with pipefail, grep -q closing the pipe early would fail the writer.
help=$("$p/bin/htc-trainer" --help)
grep -q "retrain" <<<"$help" || fail "--help lists no retrain"
man=$(zcat "$p/share/man/man1/htc-trainer.1.gz")
grep -q '^\.SH COMMANDS' <<<"$man" || fail "man page has no COMMANDS"
grep -q '^\.SS classify' <<<"$man" || fail "man page lacks classify"
# The installed binary keeps its data under $XDG_DATA_HOME (here: the default ~/.local/share).
home=$tmp/home
mkdir -p "$home" "$tmp/cwd"
(cd "$tmp/cwd" && env -u HTC_DATA_DIR -u XDG_DATA_HOME HOME="$home" \
    "$p/bin/htc-trainer" --quiet retrain "$p/share/htc-trainer/sample" >/dev/null)
[ -s "$home/.local/share/htc-trainer/models/ACTIVE" ] || fail "no model under ~/.local/share/htc-trainer"
[ ! -e "$tmp/cwd/db" ] || fail "the installed binary wrote ./db"
out=$(env -u HTC_DATA_DIR -u XDG_DATA_HOME HOME="$home" "$p/bin/htc-trainer" models)
echo "$out" | grep -q '^\* *v1' || fail "models: $out"
echo "install_test: ok"
