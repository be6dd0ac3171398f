#!/usr/bin/env bash
# Writes the help2man include file for the man page: every command's own --help, the
# environment, the files and the window's options, all taken from the built binary.
#   usage: man-include.sh BINARY OUT
set -euo pipefail
bin=$1
out=$2
# roff: a backslash is \e; a line starting with . or ' must not be read as a request.
roff() { sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"; }
{
    # The top-level examples as help prints them (help2man would run their lines together).
    echo "[=EXAMPLES]"
    echo ".nf"
    "$bin" --help | sed -n '/^Examples:/,$p' | tail -n +2 | roff
    echo ".fi"
    echo "[COMMANDS]"
    echo "Each command has its own options; they are listed here as 'htc-trainer COMMAND --help' shows them."
    # The command names from the top-level help's list of subcommands.
    for cmd in $("$bin" --help | awk 'toupper($0) ~ /^SUBCOMMANDS:/ {on=1; next} on && /^  [a-z]/ {print $1} on && /^$/ {exit}'); do
        echo ".SS $cmd"
        echo ".nf"
        "$bin" "$cmd" --help | roff
        echo ".fi"
    done
    echo ".SS gui"
    echo "Opens the window (the same as no command at all)."
    echo ".nf"
    "$bin" gui --help | roff
    echo ".fi"
    cat <<'ROFF'
[ENVIRONMENT]
.TP
.B HTC_DATA_DIR
The data folder (as \-\-data\-dir).
.TP
.B XDG_DATA_HOME
Without \-\-data\-dir or HTC_DATA_DIR, an installed htc\-trainer keeps its data in
$XDG_DATA_HOME/htc\-trainer (default ~/.local/share/htc\-trainer). Run from its build tree it
uses ./db instead.
.TP
.B HTC_UPLOAD_DIR, HTC_LOG_DIR
The folders of uploaded files and of the job store (default <data>/htc_uploads and
<data>/htc_logs).
.TP
.B HTC_MAX_FILE_SIZE, HTC_ALLOWED_EXTENSIONS
What the job system accepts (default 100MB; .pdf,.csv,.txt,.json,.tsv,.jsonl).
.TP
.B HTC_MAX_CONCURRENT_JOBS, HTC_JOB_TIMEOUT, HTC_HISTORY_RETENTION
Jobs running at once over all processes (default 1), the time limit of one job (default 2h),
and how long finished jobs are kept (default all).
[FILES]
.TP
.I ~/.local/share/htc\-trainer/
The data folder: models/ (one folder per version, ACTIVE names the active one),
htc_logs/jobs.sqlite3 (the job history), htc_uploads/ (copies of the submitted files),
exports/ (CSV exports of the history), gui\-settings.json and imgui.ini (window settings).
.TP
.I /usr/share/htc\-trainer/sample/
A small labelled sample (CSV and JSON Lines) to train a first model on.
.TP
.I /usr/share/doc/htc\-trainer/USER\-GUIDE.md
The user guide.
[EXIT STATUS]
0 on success; 1 when a command fails (with a one\-line reason on stderr); 2 for a bad
option or setting; 130 when cancelled with Ctrl\-C (the active model is unchanged).
submit \-\-wait ends with 3 when the job was cancelled and 4 when it was interrupted.
[SEE ALSO]
The user guide, /usr/share/doc/htc\-trainer/USER\-GUIDE.md.
ROFF
} > "$out"
