#include "cli/retrain_options.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>

namespace htc::cli {

namespace {
std::atomic<bool> g_cancel{false};
std::atomic<int> g_signals{0};

extern "C" void on_signal(int sig) {
    if (g_signals.fetch_add(1) >= 1) {
        std::signal(sig, SIG_DFL);
        std::raise(sig);
    }
    g_cancel.store(true);
    const char msg[] = "\nhtc-trainer: cancelling (press Ctrl-C again to stop at once)\n";
    ssize_t n = ::write(2, msg, sizeof msg - 1);
    (void)n;
}
}  // namespace

const std::atomic<bool>* install_cancel_on_signal() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    return &g_cancel;
}

std::string format_seconds(double s) {
    if (s < 0) return "?";
    char buf[32];
    if (s < 60) {
        std::snprintf(buf, sizeof buf, "%.1fs", s);
    } else if (s < 3600) {
        std::snprintf(buf, sizeof buf, "%dm%02ds", int(s) / 60, int(s) % 60);
    } else {
        std::snprintf(buf, sizeof buf, "%dh%02dm", int(s) / 3600, (int(s) % 3600) / 60);
    }
    return buf;
}

std::string format_bytes(std::uint64_t b) {
    const char* units[] = {"bytes", "KB", "MB", "GB", "TB"};
    double v = static_cast<double>(b);
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        ++u;
    }
    char buf[32];
    if (u == 0)
        std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(b));
    else
        std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
    return buf;
}

void add_ingest_options(CLI::App& cmd, IngestOptions& o) {
    cmd.add_option("--text-col", o.text_col,
                   "Column or field holding the document text, by name or 1-based position "
                   "(default: detected from names such as text, content, body, abstract)");
    cmd.add_option("--label-cols", o.label_cols,
                   "Column(s) holding the label: one path column, or level columns joined into "
                   "a path, by name or position, comma separated (e.g. 'l1,l2,l3' or '2,3,4')");
    cmd.add_option("--label-sep", o.label_sep, "Separator used to join level columns")
        ->capture_default_str();
    // Limits: each refusal names the file and the limit.
    cmd.add_option("--max-input-size", o.max_file_size,
                   "Largest input file in bytes, checked before reading (default 1 GiB)")
        ->check(CLI::PositiveNumber);
    cmd.add_option("--max-json-depth", o.max_json_depth,
                   "JSON files nested deeper are refused before parsing")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd.add_option("--max-field-size", o.max_field_bytes,
                   "Largest CSV/TSV field or document text in bytes (default 10 MiB); longer "
                   "rows are skipped with the reason")
        ->check(CLI::PositiveNumber);
    cmd.add_option("--max-pdf-pages", o.max_pdf_pages, "PDFs with more pages are refused")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd.add_option("--max-pdf-seconds", o.max_pdf_seconds,
                   "Text extraction of one PDF stops (and the file is refused) after this many "
                   "seconds, checked between pages")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
}

void add_retrain_options(CLI::App& cmd, RetrainFlags& f) {
    add_ingest_options(cmd, f.opts.ingest);
    cmd.add_option("--engine", f.opts.engine,
                   "auto (by corpus size), linear (TF-IDF + LIBLINEAR) or fasttext")
        ->check(CLI::IsMember({"auto", "linear", "fasttext"}))
        ->capture_default_str();
    cmd.add_option("--C", f.opts.params.C, "linear: regularisation constant")->capture_default_str();
    cmd.add_option("--min-df", f.opts.params.min_df,
                   "linear: drop n-grams seen in fewer documents")->capture_default_str();
    cmd.add_option("--epochs", f.opts.params.epochs, "fasttext: epochs (0 = engine default)");
    cmd.add_option("--lr", f.opts.params.lr, "fasttext: learning rate (0 = engine default)");
    cmd.add_option("--dim", f.opts.params.dim, "fasttext: vector size (0 = sized to the data)");
    cmd.add_option("--threads", f.opts.params.threads, "training threads (0 = all cores)");
    cmd.add_option("--validation", f.opts.validation_fraction,
                   "fraction of each class held out for validation")
        ->check(CLI::Range(0.0, 0.9))
        ->capture_default_str();
    cmd.add_option("--promote", f.promote,
                   "if-not-worse: activate the new model only when its hierarchical F1 on the "
                   "validation split is not worse than the active model's; always; never")
        ->check(CLI::IsMember({"if-not-worse", "always", "never"}))
        ->capture_default_str();
    cmd.add_flag("--force", f.force, "activate the new model even if it is worse (= --promote always)");
    cmd.add_flag("--no-mask-pii", f.no_mask,
                 "keep e-mail addresses, URLs and phone numbers in the text");
    cmd.add_flag("--fresh", f.fresh,
                 "train on the given files only, not on the active model's corpus plus them");
    cmd.add_option("--pin", f.opts.pinned_test_files,
                   "labelled file(s) the new model must not do worse on than the active one");
}

void finish_retrain_options(RetrainFlags& f) {
    f.opts.promote = f.force ? PromotePolicy::Always : parse_promote_policy(f.promote);
    f.opts.sanitize.mask_pii = !f.no_mask;
    f.opts.extend_corpus = !f.fresh;
}

ProgressPrinter::ProgressPrinter(bool quiet) : quiet_(quiet), tty_(::isatty(2) != 0) {}
ProgressPrinter::~ProgressPrinter() { finish(); }

void ProgressPrinter::operator()(const Progress& p) {
    if (quiet_) return;
    int pct = static_cast<int>(p.fraction * 100 + 0.5);
    char line[256];
    std::snprintf(line, sizeof line, "%-9s %3d%%  ETA %-8s %s", p.stage.c_str(), pct,
                  p.eta_seconds >= 0 ? format_seconds(p.eta_seconds).c_str() : "-",
                  p.message.c_str());
    if (tty_) {
        std::fprintf(stderr, "\r%-100.100s", line);
        open_line_ = true;
    } else if (p.stage != last_stage_ || pct / 10 != last_decile_) {
        std::fprintf(stderr, "%s\n", line);
    }
    last_stage_ = p.stage;
    last_decile_ = pct / 10;
    std::fflush(stderr);
}

void ProgressPrinter::finish() {
    if (open_line_) std::fprintf(stderr, "\n");
    open_line_ = false;
}

}  // namespace htc::cli
