#include "cli/cli.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>

namespace htc::cli {

std::string resolve_data_dir(const std::string& flag_value) {
    if (!flag_value.empty()) return flag_value;
    if (const char* env = std::getenv("HTC_DATA_DIR"); env && *env) return env;
    return "./db";
}

namespace {

// The whole command line: global options and every subcommand.
void build_app(CLI::App& app, Globals& g, Action& action) {
    app.set_version_flag("--version", std::string("htc-trainer ") + HTC_VERSION);
    app.require_subcommand(1);
    app.fallthrough();
    app.add_option("--data-dir", g.data_dir,
                   "Data folder with models, job store and uploads (env HTC_DATA_DIR; default ./db)");
    app.add_flag("--json", g.json, "Machine-readable JSON on stdout");
    app.add_flag("-q,--quiet", g.quiet, "No progress on stderr");
    app.footer(
        "Examples:\n"
        "  htc-trainer retrain data.csv                  train (or update) the model\n"
        "  htc-trainer retrain dbpedia.csv --label-cols 2,3,4 --text-col 1\n"
        "  htc-trainer classify doc.pdf notes.txt        predicted label paths\n"
        "  htc-trainer models                            versions and metrics\n"
        "  htc-trainer rollback                          back to the previous version\n"
        "  htc-trainer submit data.csv --wait            run as a job (see: history)\n"
        "Run 'htc-trainer COMMAND --help' for the options of a command.");
    add_model_commands(app, g, action);
    add_job_commands(app, g, action);
    add_ingest_command(app, g, action);
}

const char* const kDescription =
    "HTC Trainer: keeps a hierarchical text classifier up to date from feedback files.\n"
    "Run without a command (or with 'gui') to open the window; give a command to work "
    "headless.\n";

}  // namespace

bool is_command(const std::string& word) {
    CLI::App app{kDescription, "htc-trainer"};
    Globals g;
    Action action;
    build_app(app, g, action);
    for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
        if (sub->check_name(word)) return true;
    return false;
}

bool opens_window(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "gui") return true;
        if (a == "-h" || a == "--help" || a == "--version" || is_command(a)) return false;
    }
    return true;  // no command: options of the window (--data-dir, --scale ...) or none
}

int run_cli(int argc, char** argv) {
    CLI::App app{kDescription, "htc-trainer"};
    Globals g;
    Action action;
    build_app(app, g, action);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    g.data_dir = resolve_data_dir(g.data_dir);
    if (!action) return 0;
    try {
        return action();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "htc-trainer: %s\n", e.what());
        return 1;
    }
}

}  // namespace htc::cli
