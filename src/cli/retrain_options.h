#pragma once
// Command-line options shared by `retrain`, `submit` and `worker`, and by the readers
// (`classify`, `evaluate`).
#include <string>

#include "pipeline.h"

namespace CLI {
class App;
}

namespace htc::cli {

// --text-col, --label-cols, --label-sep, --max-file-size ...
void add_ingest_options(CLI::App& cmd, IngestOptions& opts);

// Everything a retrain can be told. Call finish_retrain_options() after parsing.
struct RetrainFlags {
    RetrainOptions opts;
    std::string promote = "if-not-worse";
    bool force = false;
    bool no_mask = false;
    bool fresh = false;
};
void add_retrain_options(CLI::App& cmd, RetrainFlags& flags);
// Applies the flags that map onto several fields (--force, --no-mask-pii ...). Throws
// std::invalid_argument with a user-facing message.
void finish_retrain_options(RetrainFlags& flags);

// Terminal progress: one updating line on a TTY, otherwise a line per stage.
class ProgressPrinter {
public:
    explicit ProgressPrinter(bool quiet);
    ~ProgressPrinter();
    void operator()(const Progress& p);
    void finish();

private:
    bool quiet_, tty_;
    std::string last_stage_;
    int last_decile_ = -1;
    bool open_line_ = false;
};

// SIGINT/SIGTERM set this flag while a command runs (the first signal cancels cooperatively,
// a second one ends the process).
const std::atomic<bool>* install_cancel_on_signal();

std::string format_seconds(double s);  // 75 -> "1m15s"
std::string format_bytes(std::uint64_t b);  // 1536 -> "1.5 KB"

}  // namespace htc::cli
