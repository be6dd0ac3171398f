#!/usr/bin/env python3
"""Runs the benchmark and writes a Markdown report. Called by bench/run.sh, which installs the
tools and builds the Release binary first; see bench/README.md for what is measured and how.

Every figure in the report comes from this run. Each measurement is repeated (--repeat) and
the median is reported; wall time and peak RSS of a process come from wait4()."""
import argparse
import datetime
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# Debian's python3 (where python3-sklearn and python3-pandas install), unless overridden.
PY = os.environ.get("HTC_BENCH_PYTHON") or (
    "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable)


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(cmd, stdout=None, env=None, check=True):
    """Runs cmd; returns (wall seconds, peak RSS MB, stdout text or None)."""
    out = subprocess.PIPE if stdout is None else stdout
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, env=env)
    # Read the pipes before waiting so a large output cannot block the child.
    data, err = (p.stdout.read() if p.stdout else None), p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {err.decode(errors='replace')[-2000:]}")
    return wall, usage.ru_maxrss / 1024.0, data.decode("utf-8", errors="replace") if data is not None else None


def median_run(cmd, repeat, prepare=None, **kw):
    """Runs cmd `repeat` times (prepare() before each); returns the median wall, the median
    peak RSS, the last stdout and all walls."""
    walls, rss, out = [], [], None
    for _ in range(repeat):
        if prepare:
            prepare()
        w, r, out = run(cmd, **kw)
        walls.append(w)
        rss.append(r)
    return statistics.median(walls), statistics.median(rss), out, walls


def have(tool):
    return shutil.which(tool) is not None


def have_sklearn():
    return subprocess.run([PY, "-c", "import sklearn"], capture_output=True).returncode == 0


def have_pandas():
    return subprocess.run([PY, "-c", "import pandas"], capture_output=True).returncode == 0


def fmt(v, digits=2):
    if v is None:
        return "n/a"
    return f"{v:.{digits}f}"


def ratio(a, b):
    return a / b if a and b else None


class Report:
    def __init__(self):
        self.lines = []
        self.targets = []  # (target, figure, met)

    def add(self, *lines):
        self.lines.extend(lines)

    def table(self, header, rows):
        self.add("| " + " | ".join(header) + " |", "|" + "---|" * len(header))
        for r in rows:
            self.add("| " + " | ".join(str(c) for c in r) + " |")
        self.add("")

    def target(self, name, figure, met):
        self.targets.append((name, figure, "n/a" if met is None else ("met" if met else "missed")))


def machine_details():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "unknown"
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError):
        pass
    load = os.getloadavg()
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory": mem, "kernel": platform.release(),
            "load": f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"}


# ------------------------------------------------------------------ retrain


def retrain_ours(binary, corpus, engine, repeat, workdir, extra=()):
    data_dir = os.path.join(workdir, "data-" + engine)

    def fresh():
        shutil.rmtree(data_dir, ignore_errors=True)

    cmd = [binary, "--data-dir", data_dir, "--json", "--quiet", "retrain", corpus, "--fresh",
           "--engine", engine, "--promote", "always", *extra]
    runs = []
    for _ in range(repeat):
        fresh()
        w, rss_mb, o = run(cmd)
        runs.append((w, rss_mb, o))
    walls = [x[0] for x in runs]
    wall = statistics.median(walls)
    rss = statistics.median(x[1] for x in runs)
    # The figures of the median run (the last one written is kept on disk for classify).
    out = sorted(runs, key=lambda x: x[0])[(len(runs) - 1) // 2][2]
    r = json.loads(out)
    meta_path = os.path.join(data_dir, "models", "v0001", "meta.json")
    info = {}
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            info = json.load(f).get("data", {}).get("engine_info", {})
    model_bin = os.path.join(data_dir, "models", "v0001", "model.bin")
    return {"wall": wall, "walls": walls, "rss": rss, "levels": r["metrics"]["level_accuracy"],
            "leaf": r["metrics"]["leaf_accuracy"], "train_s": r["train_seconds"],
            "model_bytes": r["model_bytes"],
            "model_bin_bytes": os.path.getsize(model_bin) if os.path.exists(model_bin) else None,
            "engine_info": info, "data_dir": data_dir, "validation": r["validation_examples"],
            "train": r["train_examples"]}


def retrain_sklearn(split_dir, repeat):
    wall, rss, out, walls = median_run([PY, os.path.join(HERE, "sklearn_ref.py"), split_dir], repeat)
    r = json.loads(out)
    r.update({"wall": wall, "walls": walls, "rss": rss})
    return r


def retrain_fasttext_cli(split_dir, repeat, workdir, epochs, lr, dim, bucket, threads):
    prefix = os.path.join(workdir, "ft-cli")
    cmd = ["fasttext", "supervised", "-input", os.path.join(split_dir, "train.fasttext.txt"),
           "-output", prefix, "-epoch", str(epochs), "-lr", str(lr), "-wordNgrams", "2",
           "-dim", str(dim), "-bucket", str(bucket), "-thread", str(threads), "-verbose", "0"]
    wall, rss, _, walls = median_run(cmd, repeat, stdout=subprocess.DEVNULL)
    # Accuracy: fastText's own test (precision at 1 = accuracy with one label per document).
    _, _, out = run(["fasttext", "test", prefix + ".bin",
                     os.path.join(split_dir, "validation.fasttext.txt")])
    p1 = None
    for line in out.splitlines():
        if line.startswith("P@1"):
            p1 = float(line.split()[1])
    # Per-level accuracy from the predicted labels.
    _, _, pred = run(["fasttext", "predict", prefix + ".bin",
                      os.path.join(split_dir, "validation.text.txt")])
    truth = []
    with open(os.path.join(split_dir, "validation.fasttext.txt"), encoding="utf-8") as f:
        for line in f:
            truth.append(line.split(" ", 1)[0])
    preds = pred.split("\n")
    levels = []
    depth = max(len(t.split("/")) for t in truth) if truth else 0
    for k in range(1, depth + 1):
        ok = sum(p.split("/")[:k] == t.split("/")[:k] for p, t in zip(preds, truth))
        levels.append(ok / len(truth))
    return {"wall": wall, "walls": walls, "rss": rss, "leaf": p1, "levels": levels,
            "model_bytes": os.path.getsize(prefix + ".bin"), "model": prefix + ".bin"}


def ft_params(info, fallback_epochs):
    """The fastText settings our engine chose, from the model's engine_info."""
    def pick(*keys, default=None):
        for k in keys:
            if k in info:
                return info[k]
        return default
    return {"epochs": pick("epochs", "epoch", default=fallback_epochs),
            "lr": pick("lr", default=1.0),
            "dim": pick("dim", default=50),
            "bucket": pick("bucket", "buckets", default=2000000)}


# ------------------------------------------------------------------ main sections


def section_retrain(rep, args, binary, corpora, workdir, results):
    rep.add("## 1. Retrain end to end", "",
            "Each corpus is split once by `htc-trainer ingest --split-out`, which writes the "
            "exact deterministic stratified split that `retrain --fresh` uses (per class, "
            "documents ordered by the FNV-1a hash of their cleaned text, lowest 20% to "
            "validation). The references train on `train.*` and are scored on `validation.*` of "
            "that split, so all tools see the same documents; our tool is timed on the whole "
            "path from the raw file (parse, sanitize, split, train, calibrate, evaluate, save), "
            "the references from their already cleaned split files (their parse time is not "
            "counted). Accuracy: per level, a prediction counts when its path prefix matches.",
            "")
    have_sk, have_ft = have_sklearn(), have("fasttext")
    for c in corpora:
        name, path, repeat = c["name"], c["path"], c["repeat"]
        split_dir = os.path.join(workdir, "split-" + name)
        log(f"split {name}")
        _, _, out = run([binary, "--json", "ingest", path, "--split-out", split_dir])
        ing = json.loads(out)
        c["split_dir"] = split_dir
        c["ingest"] = ing
        rows = []
        res = {"name": name, "docs": ing["records"], "examples": ing["examples"],
               "train": ing["split"]["train"], "validation": ing["split"]["validation"]}
        rep.add(f"### {name}", "",
                f"{c['desc']}: {ing['records']} records, {ing['examples']} usable after "
                f"de-duplication, split {ing['split']['train']} train / "
                f"{ing['split']['validation']} validation. Runs per measurement: {repeat} "
                f"(median).", "")
        lin = sk = None
        if c.get("linear", True):
            log(f"linear {name}")
            lin = retrain_ours(binary, path, "linear", repeat, workdir)
            res["linear"] = lin
            rows.append(["htc-trainer linear", fmt(lin["wall"]), fmt(lin["rss"], 0),
                         " / ".join(fmt(x, 3) for x in lin["levels"]), fmt(lin["leaf"], 3),
                         fmt(lin["model_bytes"] / 1e6, 1), "1.00"])
            if have_sk and c.get("sklearn", True):
                log(f"sklearn {name}")
                sk = retrain_sklearn(split_dir, repeat)
                res["sklearn"] = sk
                rows.append(["scikit-learn TF-IDF + LinearSVC", fmt(sk["wall"]), fmt(sk["rss"], 0),
                             " / ".join(fmt(x, 3) for x in sk["level_accuracy"]),
                             fmt(sk["leaf_accuracy"], 3), "-",
                             fmt(ratio(sk["wall"], lin["wall"]))])
        ft = ftc = None
        if c.get("fasttext", True):
            log(f"fasttext engine {name}")
            extra = []
            if c.get("epochs"):
                extra = ["--epochs", str(c["epochs"])]
            ft = retrain_ours(binary, path, "fasttext", repeat, workdir, extra)
            res["fasttext"] = ft
            rows.append(["htc-trainer fasttext", fmt(ft["wall"]), fmt(ft["rss"], 0),
                         " / ".join(fmt(x, 3) for x in ft["levels"]), fmt(ft["leaf"], 3),
                         fmt(ft["model_bytes"] / 1e6, 1), "1.00"])
            if have_ft:
                log(f"fasttext CLI {name}")
                p = ft_params(ft["engine_info"], c.get("epochs") or 50)
                ftc = retrain_fasttext_cli(split_dir, repeat, workdir, p["epochs"], p["lr"],
                                           p["dim"], p["bucket"], os.cpu_count())
                ftc["params"] = p
                res["fasttext_cli"] = ftc
                rows.append([f"fastText CLI (epoch {p['epochs']}, lr {p['lr']}, dim {p['dim']}, "
                             f"bucket {p['bucket']}, wordNgrams 2)", fmt(ftc["wall"]),
                             fmt(ftc["rss"], 0), " / ".join(fmt(x, 3) for x in ftc["levels"]),
                             fmt(ftc["leaf"], 3), fmt(ftc["model_bytes"] / 1e6, 1),
                             fmt(ratio(ftc["wall"], ft["wall"]))])
        rep.add("Ratio = reference wall time / ours (above 1: ours is faster). Model size: "
                "for ours the model version on disk as the registry reports it (model.bin, "
                "taxonomy, calibration, metadata; without the corpus copy kept for the next "
                "retrain), for fastText the .bin.", "")
        rep.table(["tool", "wall s", "peak RSS MB", "accuracy per level", "leaf acc.",
                   "model MB", "ratio"], rows)
        if lin:
            rep.add(f"Linear engine: of the {fmt(lin['wall'])} s, {fmt(lin['train_s'])} s are "
                    f"the training itself; model.bin {fmt((lin['model_bin_bytes'] or 0) / 1e6, 2)} MB. "
                    f"All runs (s): ours {', '.join(fmt(w) for w in lin['walls'])}"
                    + (f"; scikit-learn {', '.join(fmt(w) for w in sk['walls'])} (in-process: "
                       f"read {fmt(sk['seconds']['read'])}, vectorize {fmt(sk['seconds']['vectorize'])}, "
                       f"fit {fmt(sk['seconds']['fit'])}, predict {fmt(sk['seconds']['predict_validation'])})"
                       if sk else "") + ".", "")
        if ft and ftc:
            rep.add(f"fastText: all runs (s): ours {', '.join(fmt(w) for w in ft['walls'])}; "
                    f"CLI {', '.join(fmt(w) for w in ftc['walls'])}. The CLI time covers "
                    f"training and saving from the cleaned split file; ours also parses, "
                    f"sanitizes, splits, calibrates and evaluates.", "")
        results.append(res)


def section_ingest(rep, binary, files, repeat):
    rep.add("## 2. Ingest (parse + sanitize)", "",
            "MB/s = file size / wall time of the whole process (start, read, parse; for ours "
            "also sanitize: NFKC, case folding, PII masking, de-duplication). The page cache is "
            "warm (the file is read once before). `htc-trainer ingest` is the product's "
            "parse-only command; its own in-process figure (without process start) is shown "
            "too.", "")
    rows = []
    out = {}
    for kind, path in files:
        size_mb = os.path.getsize(path) / 1e6
        run(["cat", path], stdout=subprocess.DEVNULL)
        log(f"ingest {kind}")
        cat_w, _, _, _ = median_run(["cat", path], repeat, stdout=subprocess.DEVNULL)
        ours_w, ours_rss, o, _ = median_run([binary, "--json", "ingest", path], repeat)
        j = json.loads(o)
        entries = [("cat (I/O floor)", cat_w, None)]
        entries.append(("htc-trainer ingest (parse + sanitize)", ours_w, ours_rss))
        refs = [("csv", "Python csv module (parse only)"), ("pandas-csv", "pandas.read_csv (parse only)")] \
            if kind == "CSV" else [("json", "Python json.loads per line (parse only)"),
                                   ("pandas-json", "pandas.read_json lines=True (parse only)")]
        for k, label in refs:
            if k.startswith("pandas") and not have_pandas():
                entries.append((label + ": not installed", None, None))
                continue
            w, r, _, _ = median_run([PY, os.path.join(HERE, "py_ingest.py"), k, path], repeat)
            entries.append((label, w, r))
        for label, w, r in entries:
            rows.append([kind, label, fmt(size_mb, 1), fmt(w, 3), fmt(size_mb / w if w else None, 1),
                         fmt(r, 0), fmt(ratio(w, ours_w))])
        rows.append([kind, "htc-trainer ingest, in-process: parse / parse + sanitize",
                     fmt(size_mb, 1), fmt(j["seconds"], 3),
                     f"{fmt(j['parse_mb_per_s'], 1)} / {fmt(j['mb_per_s'], 1)}", "", ""])
        out[kind] = {"ours_mb_s": size_mb / ours_w, "inproc_mb_s": j["mb_per_s"],
                     "parse_mb_s": j["parse_mb_per_s"]}
    rep.add("Ratio = that tool's wall time / ours.", "")
    rep.table(["format", "tool", "MB", "wall s", "MB/s", "peak RSS MB", "ratio"], rows)
    return out


def section_classify(rep, binary, corpus_res, repeat):
    rep.add("## 3. Classification throughput", "",
            f"Documents: the validation split of {corpus_res['name']} "
            f"({corpus_res['validation']} documents). Ours: `htc-trainer classify "
            "validation.tsv --format csv` (whole process: load the model, read, sanitize, "
            "predict the calibrated path with a confidence per level and the top 3). fastText: "
            "`fasttext predict model.bin validation.text.txt` (whole process). scikit-learn: "
            "`vectorizer.transform` + `predict` inside the already running training process "
            "(no interpreter start or model loading counted, which favours it).", "")
    split = os.path.join(corpus_res["split_dir_path"])
    n = corpus_res["validation"]
    rows = []
    out = {}
    for engine in ("linear", "fasttext"):
        r = corpus_res.get(engine)
        if not r:
            continue
        w, rss, _, _ = median_run([binary, "--data-dir", r["data_dir"], "--quiet", "classify",
                                   os.path.join(split, "validation.tsv"), "--format", "csv"],
                                  repeat, stdout=subprocess.DEVNULL)
        rows.append([f"htc-trainer classify ({engine} model)", fmt(w, 3), fmt(n / w, 0), fmt(rss, 0)])
        out[engine] = n / w
    ftc = corpus_res.get("fasttext_cli")
    if ftc:
        w, rss, _, _ = median_run(["fasttext", "predict", ftc["model"],
                                   os.path.join(split, "validation.text.txt")], repeat,
                                  stdout=subprocess.DEVNULL)
        rows.append(["fasttext predict", fmt(w, 3), fmt(n / w, 0), fmt(rss, 0)])
        out["fasttext_cli"] = n / w
    sk = corpus_res.get("sklearn")
    if sk:
        w = sk["seconds"]["predict_validation"]
        rows.append(["scikit-learn transform + predict (in-process)", fmt(w, 3), fmt(n / w, 0), "-"])
        out["sklearn"] = n / w
    rep.table(["tool", "wall s", "docs/s", "peak RSS MB"], rows)
    return out


# ------------------------------------------------------------------ GUI


def seed_jobs(binary, data_dir, n, workdir):
    rng = random.Random(3)
    statuses = ["completed"] * 6 + ["failed", "cancelled", "interrupted"]
    start = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
    recs = []
    for i in range(n):
        ts = start + datetime.timedelta(seconds=i * 37)
        recs.append({"job_id": f"{rng.getrandbits(128):032x}",
                     "timestamp": ts.isoformat().replace("+00:00", "Z"),
                     "status": rng.choice(statuses),
                     "details": f"Retrain on feedback-{i % 977}.csv ({rng.randint(10, 5000)} records)"})
    seed_dir = os.path.join(workdir, "seed-logs")
    os.makedirs(seed_dir, exist_ok=True)
    with open(os.path.join(seed_dir, "jobs.json"), "w") as f:
        json.dump(recs, f)
    w, _, _ = run([binary, "--data-dir", data_dir, "--quiet", "import-logs", seed_dir])
    return w


class Xvfb:
    def __enter__(self):
        r, w = os.pipe()
        self.proc = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "1400x900x24",
                                      "-nolisten", "tcp"], pass_fds=(w,),
                                     stderr=subprocess.DEVNULL)
        os.close(w)
        data = b""
        while not data.endswith(b"\n"):
            chunk = os.read(r, 64)
            if not chunk:
                break
            data += chunk
        os.close(r)
        self.display = ":" + data.decode().strip()
        return self

    def __exit__(self, *a):
        self.proc.terminate()
        self.proc.wait()


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick  # utime + stime


def gui_launch(binary, data_dir, script, state_path, display, idle_seconds=0):
    env = dict(os.environ, DISPLAY=display)
    for p in (state_path,):
        if os.path.exists(p):
            os.remove(p)
    cmd = [binary, "gui", "--data-dir", data_dir, "--test-script", script, "--width", "1280",
           "--height", "800", "--screenshot-dir", os.path.dirname(state_path)]
    if not idle_seconds:
        cmd += ["--exit-state", state_path]
    t0 = time.time()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    idle = None
    if idle_seconds:
        # The script ends with `dump`: the window then stays open with nothing to do.
        deadline = time.time() + 120
        while not os.path.exists(state_path) and time.time() < deadline and p.poll() is None:
            time.sleep(0.05)
        time.sleep(1.0)
        c0, w0 = proc_cpu_seconds(p.pid), time.perf_counter()
        time.sleep(idle_seconds)
        c1, w1 = proc_cpu_seconds(p.pid), time.perf_counter()
        idle = (c1 - c0) / (w1 - w0) * 100.0
        p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=300)
    if not os.path.exists(state_path):
        raise RuntimeError("the window wrote no state: " + err.decode(errors="replace")[-2000:])
    with open(state_path) as f:
        state = json.load(f)
    b = state["bench"]
    return {"first_frame": b["first_frame_epoch"] - t0,
            "history_ready": b["history_ready_epoch"] - t0 if b["history_ready_epoch"] else None,
            "state": state, "idle": idle}


def section_gui(rep, binary, jobs, workdir, repeat, frames, idle_seconds):
    rep.add("## 4. Window (under Xvfb, Mesa software GL)", "")
    if not have("Xvfb"):
        rep.add("Xvfb is not installed: skipped.", "")
        return None
    data_dir = os.path.join(workdir, "gui-data")
    shutil.rmtree(data_dir, ignore_errors=True)
    log(f"seed {jobs} jobs")
    seed_w = seed_jobs(binary, data_dir, jobs, workdir)
    out = {}
    shots = os.path.join(workdir, "gui-shots")
    os.makedirs(shots, exist_ok=True)
    scroll_script = os.path.join(workdir, "scroll.script")
    with open(scroll_script, "w") as f:
        f.write(f"fast_frames on\ntab history\nwait_history {jobs} 120\nframes 5\n"
                f"scroll_history {frames} 1500\nexport_csv\nwait_export 120\nquit\n")
    idle_script = os.path.join(workdir, "idle.script")
    state_idle = os.path.join(shots, "idle-state.json")
    with open(idle_script, "w") as f:
        f.write(f"tab history\nwait_history {jobs} 120\ndump {state_idle}\n")
    starts, ready, exports, ui, frame, procc = [], [], [], [], [], []
    with Xvfb() as x:
        for i in range(repeat):
            log(f"window run {i + 1}/{repeat}")
            r = gui_launch(binary, data_dir, scroll_script, os.path.join(shots, "state.json"), x.display)
            b = r["state"]["bench"]
            starts.append(r["first_frame"])
            if r["history_ready"] is not None:
                ready.append(r["history_ready"])
            exports.append(b["export_seconds"])
            ui.append(b["ui_cpu"])
            frame.append(b["frame_cpu"])
            procc.append(b["process_cpu"])
        log("window idle")
        ri = gui_launch(binary, data_dir, idle_script, state_idle, x.display, idle_seconds)
    med = lambda xs: statistics.median(xs) if xs else None  # noqa: E731
    pick = lambda lst, k: med([s[k] for s in lst if s])  # noqa: E731
    log("CLI export")
    csv_path = os.path.join(workdir, "history.csv")
    cli_export, _, _, _ = median_run([binary, "--data-dir", data_dir, "--quiet", "history",
                                      "--csv", csv_path], repeat, stdout=subprocess.DEVNULL)
    out = {"start": med(starts), "ready": med(ready), "export_gui": med(exports),
           "export_cli": cli_export, "ui_p99": pick(ui, "p99_ms"), "ui_med": pick(ui, "median_ms"),
           "frame_p99": pick(frame, "p99_ms"), "frame_med": pick(frame, "median_ms"),
           "proc_p99": pick(procc, "p99_ms"), "proc_med": pick(procc, "median_ms"),
           "idle": ri["idle"], "idle_seconds": idle_seconds}
    rep.add(f"{jobs} jobs seeded with `htc-trainer import-logs` ({fmt(seed_w)} s). Window "
            f"1280x800 at scale 1. {repeat} launches; each: start, show the history tab, wait "
            f"for all {jobs} rows, then {frames} frames each scrolling the table 1500 px "
            "further (wrapping to the top at the end, so every frame draws new rows), then "
            "Export CSV. Frame CPU time per frame: `ui` = main thread from NewFrame to the end "
            "of ImGui's GL draw calls, `frame` = main thread including the buffer swap, "
            "`process` = all threads of the process over the frame (includes Mesa's "
            "software rasteriser). Figures are medians over the launches of each launch's "
            "median / p99.", "")
    rep.table(["measure", "value"], [
        ["start to first frame (s)", fmt(out["start"], 3)],
        [f"start to all {jobs} history rows shown (s)", fmt(out["ready"], 3)],
        ["frame CPU `ui`, median / p99 (ms)", f"{fmt(out['ui_med'])} / {fmt(out['ui_p99'])}"],
        ["frame CPU `frame`, median / p99 (ms)", f"{fmt(out['frame_med'])} / {fmt(out['frame_p99'])}"],
        ["frame CPU `process`, median / p99 (ms)", f"{fmt(out['proc_med'])} / {fmt(out['proc_p99'])}"],
        [f"Export CSV of {jobs} jobs in the window (s, frame-granular)", fmt(out["export_gui"], 3)],
        [f"`history --csv` of {jobs} jobs, whole process (s)", fmt(out["export_cli"], 3)],
        [f"idle CPU over {idle_seconds} s after the history is shown (%)", fmt(out["idle"], 2)],
    ])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--sizes", default="20000,100000",
                    help="generated corpus sizes (documents), comma separated")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--big-repeat", type=int, default=1,
                    help="runs per measurement on generated corpora above --linear-max")
    ap.add_argument("--big-epochs", type=int, default=5,
                    help="fastText epochs (ours and the CLI) on the generated corpora")
    ap.add_argument("--linear-max", type=int, default=20000,
                    help="largest generated corpus the linear engine and scikit-learn run on")
    ap.add_argument("--jobs", type=int, default=100000)
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--idle-seconds", type=float, default=10)
    ap.add_argument("--workdir")
    args = ap.parse_args()

    t_start = time.time()
    workdir = args.workdir or tempfile.mkdtemp(prefix="htc-bench-")
    os.makedirs(workdir, exist_ok=True)
    shared = os.environ.get("HTC_BENCH_SHARED") or os.path.join(ROOT, "..", "shared")
    source = os.path.join(shared, "data", "dbpedia", "dbpedia-classes-2500.csv")
    if not os.path.exists(source):
        source = None
    rep = Report()
    machine = machine_details()
    missing = [t for t, ok in (("scikit-learn", have_sklearn()), ("pandas", have_pandas()),
                               ("fasttext CLI", have("fasttext")), ("Xvfb", have("Xvfb"))) if not ok]

    corpora = []
    gen_files = {}
    if args.smoke:
        # Seconds, not minutes: one small generated corpus (or the bundled sample when the
        # shared data is absent), two fastText epochs, a small history, one run each.
        args.repeat, args.jobs, args.frames, args.idle_seconds = 1, 2000, 20, 1
        sizes = [400] if source else []
        args.big_epochs = 2
        if source is None:
            corpora.append({"name": "bundled sample", "repeat": 1, "epochs": 2,
                            "path": os.path.join(ROOT, "assets", "sample", "feedback.csv"),
                            "desc": "`assets/sample/feedback.csv`"})
    else:
        if source is None:
            sys.exit("bench: ../shared/data/dbpedia/dbpedia-classes-2500.csv is needed")
        sizes = [int(s) for s in args.sizes.split(",") if s]
        corpora.append({"name": "DBpedia 2,500", "path": source, "repeat": args.repeat,
                        "desc": "`../shared/data/dbpedia/dbpedia-classes-2500.csv`, the real file"})
    for n in sizes:
        base = os.path.join(workdir, f"gen-{n}")
        if not os.path.exists(base + ".csv"):
            log(f"generate {n} documents")
            run([PY, os.path.join(HERE, "gen_corpus.py"), source, str(n), base, "--jsonl"])
        gen_files[n] = base
        small = n <= args.linear_max
        corpora.append({"name": f"generated {n:,}", "path": base + ".csv",
                        "repeat": args.repeat if small else args.big_repeat,
                        "epochs": args.big_epochs, "linear": small,
                        "desc": f"`bench/gen_corpus.py` ({n:,} documents from the DBpedia "
                                f"sentences); fastText with {args.big_epochs} epochs"
                                + ("" if small else "; linear engine and scikit-learn not run "
                                   f"on it (above --linear-max {args.linear_max})")})

    rep.add("# Benchmark results", "",
            f"Written by `bench/run.sh{' --smoke' if args.smoke else ''}` on "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Every figure below comes "
            "from this one run.", "",
            "Arguments: `" + " ".join(sys.argv[1:]) + "`", "",
            "## Machine", "",
            f"- CPU: {machine['cpu']}, {machine['nproc']} cores (`nproc`); memory {machine['memory']}; "
            f"Linux {machine['kernel']}",
            f"- Load average at the start of the run (1/5/15 min): {machine['load']}. The machine "
            "is shared with other builds and test runs, so absolute timings are noisy; every "
            "measurement is repeated and the median is given, and the comparisons are ratios "
            "measured in the same run.",
            f"- Binary: Release build (`{os.path.relpath(args.binary, ROOT)}`), "
            "`-O3 -DNDEBUG`. Python: Debian's python3 with python3-sklearn, python3-pandas; "
            "fastText: Debian's `fasttext` CLI 0.9.2.",
            f"- Not installed, skipped: {', '.join(missing) if missing else 'none'}", "")
    results = []
    section_retrain(rep, args, args.binary, corpora, workdir, results)
    for c, r in zip(corpora, results):
        r["split_dir_path"] = c["split_dir"]

    ingest_files = []
    biggest = max(sizes) if sizes else None
    mid = [n for n in sizes if n <= 200000]
    ing_n = max(mid) if mid else (min(sizes) if sizes else None)
    if ing_n:
        ingest_files = [("CSV", gen_files[ing_n] + ".csv"), ("JSONL", gen_files[ing_n] + ".jsonl")]
    else:
        ingest_files = [("CSV", corpora[0]["path"])] if corpora[0]["path"].endswith(".csv") else []
    ing = section_ingest(rep, args.binary, ingest_files, args.repeat) if ingest_files else {}

    cls_res = next((r for r in reversed(results) if r.get("linear")), results[0])
    cls = section_classify(rep, args.binary, cls_res, args.repeat)

    gui = section_gui(rep, args.binary, args.jobs, workdir, args.repeat, args.frames, args.idle_seconds)

    # ---- targets
    db = results[0]
    if db.get("linear") and db.get("sklearn"):
        lin, sk = db["linear"], db["sklearn"]
        rep.target(f"linear engine at least as accurate as scikit-learn ({db['name']}, leaf)",
                   f"{fmt(lin['leaf'], 3)} vs {fmt(sk['leaf_accuracy'], 3)}",
                   lin["leaf"] >= sk["leaf_accuracy"])
    for r in results:
        if r.get("linear") and r.get("sklearn"):
            x = ratio(r["sklearn"]["wall"], r["linear"]["wall"])
            rep.target(f"linear engine >= 3x faster than scikit-learn end to end ({r['name']})",
                       f"{fmt(x)}x ({fmt(r['linear']['wall'])} s vs {fmt(r['sklearn']['wall'])} s)",
                       x >= 3)
            if r is not db:
                rep.target(f"linear engine at least as accurate as scikit-learn ({r['name']}, leaf)",
                           f"{fmt(r['linear']['leaf'], 3)} vs {fmt(r['sklearn']['leaf_accuracy'], 3)}",
                           r["linear"]["leaf"] >= r["sklearn"]["leaf_accuracy"])
    big = results[-1]
    if big.get("fasttext") and big.get("fasttext_cli"):
        x = big["fasttext"]["wall"] / big["fasttext_cli"]["wall"]
        rep.target(f"fastText engine within 10% of the fastText CLI's time ({big['name']})",
                   f"ours {fmt(big['fasttext']['wall'])} s vs CLI {fmt(big['fasttext_cli']['wall'])} s "
                   f"({fmt((x - 1) * 100, 0)}%)", x <= 1.10)
    for kind, v in ing.items():
        rep.target(f"ingest >= 100 MB/s ({kind}, parse + sanitize)",
                   f"{fmt(v['ours_mb_s'], 1)} MB/s whole process, {fmt(v['inproc_mb_s'], 1)} MB/s "
                   f"in-process (parse alone {fmt(v['parse_mb_s'], 1)})", v["ours_mb_s"] >= 100)
    if gui:
        rep.target(f"idle CPU < 0.5% (over {fmt(gui['idle_seconds'], 0)} s)", f"{fmt(gui['idle'], 2)}%",
                   gui["idle"] is not None and gui["idle"] < 0.5)
        rep.target(f"p99 frame < 8 ms CPU with {args.jobs} jobs (main thread incl. swap)",
                   f"{fmt(gui['frame_p99'])} ms (UI only {fmt(gui['ui_p99'])} ms; whole process "
                   f"{fmt(gui['proc_p99'])} ms)", gui["frame_p99"] is not None and gui["frame_p99"] < 8)
        rep.target("start < 0.5 s (to the first frame)",
                   f"{fmt(gui['start'], 3)} s (all rows shown at {fmt(gui['ready'], 3)} s)",
                   gui["start"] < 0.5)
        rep.target(f"export of {args.jobs} jobs < 0.5 s",
                   f"{fmt(gui['export_cli'], 3)} s (`history --csv`, whole process); "
                   f"{fmt(gui['export_gui'], 3)} s in the window", gui["export_cli"] < 0.5)

    body = rep.lines
    rep.lines = []
    rep.add(*body[:body.index("## 1. Retrain end to end")])
    rep.add("## Targets", "")
    rep.table(["target", "measured", "status"], [list(t) for t in rep.targets])
    rep.add(*body[body.index("## 1. Retrain end to end"):])
    rep.add("## Run", "", f"Total bench time {fmt((time.time() - t_start) / 60, 1)} min; "
            f"work folder `{workdir}` (generated corpora, splits, models).", "")
    with open(args.out, "w") as f:
        f.write("\n".join(rep.lines))
    log(f"wrote {args.out}")
    if not args.workdir and not args.smoke:
        pass
    if args.smoke:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
