#include "cli/cli.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <utility>

#include <filesystem>

#include "paths.h"

namespace htc::cli {

std::string resolve_data_dir(const std::string& flag_value) {
    return resolve_data_location(flag_value).path;
}

namespace {

const char* const kGlobalOptionsNote =
    "Global options, before or after the command: --data-dir DIR (env HTC_DATA_DIR; default\n"
    "~/.local/share/htc-trainer, ./db from the build tree), --json, --quiet.";

// A few typical uses of each command.
std::string command_examples(const std::string& name) {
    static const std::pair<const char*, const char*> kExamples[] = {
        {"retrain",
         "  htc-trainer retrain feedback.csv more/          train on these plus the active "
         "corpus\n"
         "  htc-trainer retrain wos.tsv --engine fasttext --epochs 30\n"
         "  htc-trainer retrain new.csv --fresh --promote never   a candidate, not activated\n"},
        {"classify",
         "  htc-trainer classify report.pdf notes/          one row per document\n"
         "  htc-trainer classify docs/ --format csv > predictions.csv\n"
         "  htc-trainer classify doc.txt --min-confidence 0.6 --model v2\n"},
        {"evaluate",
         "  htc-trainer evaluate held-out.csv               per-level accuracy, F1s, "
         "confusions\n"
         "  htc-trainer evaluate held-out.csv --model v1    an older version on the same "
         "data\n"},
        {"models", "  htc-trainer models                              * marks the active one\n"
                   "  htc-trainer --json models                       with every metric\n"},
        {"promote", "  htc-trainer promote v3\n"},
        {"rollback",
         "  htc-trainer rollback                            to the version active before\n"
         "  htc-trainer rollback v1\n"},
        {"delete-model", "  htc-trainer delete-model v2\n"},
        {"submit",
         "  htc-trainer submit feedback.csv --wait          queue it and run it here\n"
         "  htc-trainer submit a.csv labelled/              queue it; the window or "
         "'worker' runs it\n"},
        {"history",
         "  htc-trainer history --status failed --limit 10\n"
         "  htc-trainer history --search 3f2a               by id prefix or text\n"
         "  htc-trainer history --csv .                     "
         "./htc-retrain-history-YYYY-MM-DD.csv\n"},
        {"job", "  htc-trainer job 3f2a                            record, files, metrics and "
                "log\n"},
        {"cancel", "  htc-trainer cancel 3f2a\n"},
        {"worker",
         "  htc-trainer worker                              run the queue, then exit\n"
         "  htc-trainer worker --follow                     keep waiting for new jobs\n"},
        {"import-logs", "  htc-trainer import-logs old-app/db/htc_logs\n"},
    };
    for (const auto& [cmd, text] : kExamples) {
        if (name == cmd) return text;
    }
    return "";
}

// The whole command line: global options and every subcommand.
void build_app(CLI::App& app, Globals& g, Action& action) {
    app.set_version_flag("--version", std::string("htc-trainer ") + HTC_VERSION);
    app.require_subcommand(1);
    app.fallthrough();
    app.add_option("--data-dir", g.data_dir,
                   "Data folder with models, job store and uploads (env HTC_DATA_DIR; default "
                   "$XDG_DATA_HOME/htc-trainer, i.e. ~/.local/share/htc-trainer, or ./db when "
                   "run from the build tree)")
        ->type_name("DIR");
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
        "  htc-trainer feedback add --text T --label A/B  record a correction\n"
        "  htc-trainer feedback retrain --wait           retrain with the corrections\n"
        "  htc-trainer models compare v1 v2              side-by-side metrics\n"
        "  htc-trainer testset pin gold.csv              gate every promotion on a file\n"
        "  htc-trainer                                   open the window\n"
        "  htc-trainer gui --scale 1.5 --data-dir DIR    the window with options (gui --help)\n"
        "\n"
        "Feedback files: CSV/TSV with a text column and a label path (Science/Physics) or level\n"
        "columns; JSON arrays or JSON Lines with the same fields; fastText TXT lines\n"
        "(__label__A/B text); PDF and TXT documents in folders named by their label.\n"
        "Run 'htc-trainer COMMAND --help' for the options of a command; 'man htc-trainer'\n"
        "and /usr/share/doc/htc-trainer/USER-GUIDE.md when installed.");
    add_model_commands(app, g, action);
    add_job_commands(app, g, action);
    add_feedback_commands(app, g, action);
    add_ingest_command(app, g, action);
    // Each command's help ends with its own examples and the global options, instead of the
    // top-level footer it would inherit.
    const std::string top_footer = app.get_footer();
    for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
        std::string own = sub->get_footer() == top_footer ? "" : sub->get_footer();
        std::string text = command_examples(sub->get_name());
        if (!text.empty()) text = "Examples:\n" + text + "\n";
        text += kGlobalOptionsNote;
        if (!own.empty()) text += "\n\n" + own;
        sub->footer(text);
    }
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
    if (app.get_option("--data-dir")->count() > 0 && g.data_dir.empty()) {
        std::fprintf(stderr, "htc-trainer: --data-dir is empty: give a folder\n");
        return 2;
    }
    g.data_dir = resolve_data_dir(g.data_dir);
    if (!action) return 0;
    {
        // Reading commands would otherwise report "no models yet" for a path that cannot be a
        // data folder at all.
        std::error_code ec;
        if (std::filesystem::exists(g.data_dir, ec) &&
            !std::filesystem::is_directory(g.data_dir, ec)) {
            std::fprintf(stderr,
                         "htc-trainer: the data folder '%s' is not a folder (choose one with "
                         "--data-dir or HTC_DATA_DIR)\n",
                         g.data_dir.c_str());
            return 2;
        }
    }
    try {
        return action();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "htc-trainer: %s\n", e.what());
        return 1;
    }
}

}  // namespace htc::cli
