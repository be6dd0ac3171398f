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

int run_cli(int argc, char** argv) {
    CLI::App app{
        "HTC Trainer: keeps a hierarchical text classifier up to date from feedback files.\n"
        "Run without arguments (or with 'gui') to open the window; give a command to work "
        "headless.\n",
        "htc-trainer"};
    app.set_version_flag("--version", std::string("htc-trainer ") + HTC_VERSION);
    app.require_subcommand(1);
    app.fallthrough();
    Globals g;
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
    Action action;
    add_model_commands(app, g, action);
    add_job_commands(app, g, action);
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
