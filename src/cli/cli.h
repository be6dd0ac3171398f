#pragma once
// Command-line front end: one CLI11 app, subcommands registered per concern.
#include <functional>
#include <memory>
#include <string>

namespace CLI {
class App;
}

namespace htc::cli {

// Options shared by every subcommand.
struct Globals {
    std::string data_dir;  // --data-dir, HTC_DATA_DIR, ./db in the build tree, else XDG
    bool json = false;     // --json: machine-readable output on stdout
    bool quiet = false;    // --quiet: no progress on stderr
};

// A subcommand sets this when it is selected; run_cli calls it after parsing.
using Action = std::function<int()>;

// Registration functions, one per file in src/cli/.
void add_model_commands(CLI::App& app, Globals& g, Action& action);   // cmd_models.cpp
void add_job_commands(CLI::App& app, Globals& g, Action& action);     // cmd_jobs.cpp
void add_ingest_command(CLI::App& app, Globals& g, Action& action);   // cmd_ingest.cpp
void add_feedback_commands(CLI::App& app, Globals& g, Action& action);  // cmd_feedback.cpp

// Runs a queued job in this process and follows it to the end (cmd_jobs.cpp); returns the
// exit code of `submit --wait`.
int follow_queued_job(const Globals& g, const std::string& id);

// Parses argv and runs the chosen subcommand. Returns the process exit code: 0 on success,
// otherwise non-zero with a one-line reason on stderr.
int run_cli(int argc, char** argv);

// Whether `word` names a subcommand.
bool is_command(const std::string& word);
// Whether this command line opens the window: no subcommand in it (only options such as
// --data-dir or --scale, or nothing), or the word `gui`. --help and --version stay headless.
bool opens_window(int argc, char** argv);

// Data folder resolution (see paths.h): flag, HTC_DATA_DIR, ./db in the build tree, else
// $XDG_DATA_HOME/htc-trainer.
std::string resolve_data_dir(const std::string& flag_value);

}  // namespace htc::cli
