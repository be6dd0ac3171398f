// Commands over corrections, pinned test sets and the schedule: feedback add|list|retrain,
// testset pin|list|unpin, schedule.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>

#include "cli/cli.h"
#include "cli/retrain_options.h"
#include "feedback/corrections_job.h"
#include "feedback/feedback_store.h"
#include "jobs/config.h"
#include "jobs/schedule.h"
#include "model/testsets.h"

namespace htc::cli {

namespace {

// ---------------------------------------------------------------- feedback add

struct AddFlags {
    std::string text;
    std::vector<std::string> paths;
    IngestOptions ingest;
    std::string label;
    std::string predicted;
    std::string model;
};

int cmd_feedback_add(const Globals& g, AddFlags& f) {
    if (f.text.empty() == f.paths.empty())
        throw std::runtime_error("give either --text TEXT or document files (not both)");
    struct Doc {
        std::string text, label, document;
    };
    std::vector<Doc> docs;
    if (!f.text.empty()) {
        docs.push_back({f.text, f.label, "command line"});
    } else {
        auto in = ingest_paths(f.paths, f.ingest);
        for (const auto& fr : in.files)
            if (!fr.ok()) std::fprintf(stderr, "htc-trainer: %s\n", fr.error.c_str());
        for (auto& r : in.records) {
            std::string label = f.label.empty() ? r.label : f.label;
            if (label.empty()) {
                std::fprintf(stderr,
                             "htc-trainer: %s:%zu: no label in the file and no --label; "
                             "skipped\n",
                             r.source.c_str(), r.line);
                continue;
            }
            docs.push_back({r.text, label, r.source + ":" + std::to_string(r.line)});
        }
    }
    if (docs.empty()) throw std::runtime_error("no document to record");
    Registry registry(g.data_dir);
    int version = 0;
    std::shared_ptr<const Model> model;
    if (f.predicted.empty()) {
        version = f.model.empty() ? registry.active().value_or(0) : parse_version(f.model);
        if (version) model = registry.load(version);
    } else if (!f.model.empty()) {
        version = parse_version(f.model);
    }
    FeedbackStore store(g.data_dir);
    auto added = nlohmann::json::array();
    for (const auto& d : docs) {
        FeedbackRecord r;
        r.text = d.text;
        r.correct_path = d.label;
        r.document = d.document;
        r.model_version = version;
        r.predicted_path = model ? model->predict(d.text).path.path.str() : f.predicted;
        std::int64_t id = store.add(r);
        added.push_back({{"id", id},
                         {"document", d.document},
                         {"correct_path", r.correct_path},
                         {"predicted_path", r.predicted_path},
                         {"model_version", version}});
        if (!g.json)
            std::printf("#%lld  %s  %s -> %s\n", static_cast<long long>(id), d.document.c_str(),
                        r.predicted_path.empty() ? "?" : r.predicted_path.c_str(),
                        parse_label_path(r.correct_path)->str().c_str());
    }
    std::size_t pending = store.pending_count();
    if (g.json) {
        std::cout << nlohmann::json{{"added", added}, {"pending", pending}}.dump(2) << "\n";
    } else {
        std::printf(
            "%zu correction(s) recorded; %zu pending (retrain with them: htc-trainer "
            "feedback retrain)\n",
            docs.size(), pending);
    }
    return 0;
}

int cmd_feedback_list(const Globals& g, bool pending, std::int64_t limit) {
    FeedbackStore store(g.data_dir);
    auto list = store.list(pending, limit);
    if (g.json) {
        auto arr = nlohmann::json::array();
        for (const auto& r : list)
            arr.push_back({{"id", r.id},
                           {"created", r.created},
                           {"document", r.document},
                           {"text", r.text},
                           {"correct_path", r.correct_path},
                           {"predicted_path", r.predicted_path},
                           {"model_version", r.model_version},
                           {"job_id", r.job_id}});
        std::cout << nlohmann::json{{"pending", store.pending_count()},
                                    {"total", store.total_count()},
                                    {"feedback", arr}}
                         .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                  << "\n";
        return 0;
    }
    std::printf("%-6s %-20s %-7s %-36s %-36s %s\n", "ID", "CREATED (UTC)", "MODEL", "PREDICTED",
                "CORRECT", "JOB");
    for (const auto& r : list)
        std::printf(
            "%-6lld %-20.19s %-7s %-36s %-36s %s\n", static_cast<long long>(r.id),
            r.created.c_str(), r.model_version ? version_name(r.model_version).c_str() : "-",
            r.predicted_path.empty() ? "-" : r.predicted_path.c_str(), r.correct_path.c_str(),
            r.job_id.empty() ? "pending" : r.job_id.substr(0, 8).c_str());
    std::printf("%zu pending, %zu in all\n", store.pending_count(), store.total_count());
    return 0;
}

struct FeedbackRetrainFlags {
    RetrainFlags retrain;
    bool wait = false;
};

int cmd_feedback_retrain(const Globals& g, FeedbackRetrainFlags& f) {
    finish_retrain_options(f.retrain);
    jobs::ConfigOverrides o;
    o.data_dir = g.data_dir;
    jobs::JobsConfig cfg = jobs::load_config(o);
    FeedbackStore feedback(g.data_dir);
    jobs::JobStore store(cfg.store_path());
    jobs::UploadStore uploads(cfg.upload_dir, cfg.allowed_extensions, cfg.max_file_size);
    RetrainOptions opts = f.retrain.opts;
    opts.ingest.max_file_size = cfg.max_file_size;
    auto c = submit_corrections(feedback, store, uploads, opts, g.data_dir);
    if (!c.submit.queued) {
        std::fprintf(stderr, "htc-trainer: nothing queued: %s\n", c.submit.error.c_str());
        return 1;
    }
    if (!g.quiet)
        std::fprintf(stderr, "queued job %s with %zu correction(s) (%s)\n", c.submit.job_id.c_str(),
                     c.corrections, c.file.c_str());
    if (!f.wait) {
        if (g.json)
            std::cout << nlohmann::json{{"job_id", c.submit.job_id},
                                        {"status", "queued"},
                                        {"corrections", c.corrections}}
                             .dump(2)
                      << "\n";
        else
            std::printf("%s\n", c.submit.job_id.c_str());
        return 0;
    }
    if (!g.json) {
        std::printf("%s\n", c.submit.job_id.c_str());
        std::fflush(stdout);
    }
    return follow_queued_job(g, c.submit.job_id);
}

// ---------------------------------------------------------------- testset

int cmd_testset_pin(const Globals& g, const std::vector<std::string>& paths,
                    const IngestOptions& ingest) {
    for (const auto& p : paths) {
        PinnedSet s = pin_test_set(g.data_dir, p, ingest);
        std::printf("pinned %s: %zu labelled document(s), stored as %s\n", p.c_str(), s.labelled,
                    s.path.c_str());
    }
    std::printf(
        "Every retrain now scores on the pinned sets; a model with a lower leaf accuracy "
        "on them than the active model is not promoted.\n");
    return 0;
}

int cmd_testset_list(const Globals& g) {
    auto sets = list_pinned_sets(g.data_dir);
    if (g.json) {
        auto arr = nlohmann::json::array();
        for (const auto& s : sets)
            arr.push_back({{"name", s.name}, {"path", s.path}, {"size_bytes", s.size_bytes}});
        std::cout << nlohmann::json{{"testsets", arr}}.dump(2) << "\n";
        return 0;
    }
    if (sets.empty()) {
        std::printf("No pinned test sets. Pin one: htc-trainer testset pin FILE\n");
        return 0;
    }
    for (const auto& s : sets)
        std::printf("%-40s %10s  %s\n", s.name.c_str(), format_bytes(s.size_bytes).c_str(),
                    s.path.c_str());
    return 0;
}

// ---------------------------------------------------------------- schedule

struct ScheduleFlags {
    std::string watch;
    bool no_watch = false;
    double debounce = -1;
    std::string daily;
    bool no_daily = false;
    int auto_sync = -1;
    bool no_auto_sync = false;
};

int cmd_schedule(const Globals& g, ScheduleFlags& f) {
    auto s = jobs::load_schedule(g.data_dir);
    bool changed = false;
    if (!f.watch.empty()) {
        s.watch_enabled = true;
        s.watch_folder = std::filesystem::absolute(f.watch).lexically_normal().string();
        changed = true;
    }
    if (f.no_watch) s.watch_enabled = false, changed = true;
    if (f.debounce >= 0) s.debounce_seconds = f.debounce, changed = true;
    if (!f.daily.empty()) {
        if (jobs::parse_daily_time(f.daily) < 0)
            throw std::runtime_error("--daily: expected a local time HH:MM, got '" + f.daily + "'");
        s.daily_enabled = true;
        s.daily_time = f.daily;
        changed = true;
    }
    if (f.no_daily) s.daily_enabled = false, changed = true;
    if (f.auto_sync > 0) s.auto_sync = true, s.auto_sync_after = f.auto_sync, changed = true;
    if (f.no_auto_sync) s.auto_sync = false, changed = true;
    if (changed) jobs::save_schedule(g.data_dir, s);
    if (g.json) {
        std::cout << s.to_json().dump(2) << "\n";
        return 0;
    }
    std::printf(
        "watched folder: %s\n",
        s.watch_enabled
            ? (s.watch_folder + " (debounce " + format_seconds(s.debounce_seconds) + ")").c_str()
            : "off");
    std::printf("daily retrain:  %s\n", s.daily_enabled ? ("at " + s.daily_time +
                                                           " local time, when corrections are "
                                                           "pending")
                                                              .c_str()
                                                        : "off");
    std::printf("auto sync:      %s\n", s.auto_sync
                                            ? ("after " + std::to_string(s.auto_sync_after) +
                                               " pending corrections (in the window)")
                                                  .c_str()
                                            : "off");
    if (s.watch_enabled || s.daily_enabled)
        std::printf("The window, or 'htc-trainer worker --follow', runs the schedule.\n");
    return 0;
}

}  // namespace

void add_feedback_commands(CLI::App& app, Globals& g, Action& action) {
    // feedback
    auto* feedback = app.add_subcommand(
        "feedback",
        "Corrections of predictions (the Document Upload tab's corrections): add, list, and "
        "retrain with them. They are stored in <data>/feedback.sqlite3 with the text, the "
        "correct path, the predicted path, the model version and the time");
    feedback->require_subcommand(1);
    auto af = std::make_shared<AddFlags>();
    auto* add = feedback->add_subcommand(
        "add",
        "Record corrections: --text with --label, or document files (each record with --label, "
        "or with its own label from a labelled file). The predicted path is taken from the "
        "active model (or --model V) unless --predicted is given. A pending correction of the "
        "same text is replaced");
    add->add_option("paths", af->paths, "Document files (any format the readers take)");
    add->add_option("--text", af->text, "The document text");
    add->add_option("--label", af->label, "The correct label path, e.g. Agent/Athlete/Boxer");
    add->add_option("--predicted", af->predicted, "What the model predicted (optional)");
    add->add_option("--model", af->model, "Model version that predicted it (default: active)");
    add_ingest_options(*add, af->ingest);
    add->footer(
        "Examples:\n"
        "  htc-trainer feedback add --text 'Zinedine Zidane is ...' --label "
        "Agent/Athlete/SoccerPlayer\n"
        "  htc-trainer feedback add report.pdf --label Work/Document/Report\n"
        "  htc-trainer feedback add corrections.csv      # a labelled file: its own labels");
    add->callback([&g, &action, af] { action = [&g, af] { return cmd_feedback_add(g, *af); }; });

    auto lp = std::make_shared<bool>(false);
    auto ll = std::make_shared<std::int64_t>(50);
    auto* list = feedback->add_subcommand("list", "Corrections, newest first");
    list->add_flag("--pending", *lp, "Only those no retrain job has used yet");
    list->add_option("--limit", *ll, "At most this many (-1 = all)")->capture_default_str();
    list->callback([&g, &action, lp, ll] {
        action = [&g, lp, ll] { return cmd_feedback_list(g, *lp, *ll); };
    });

    auto rf = std::make_shared<FeedbackRetrainFlags>();
    auto* retrain = feedback->add_subcommand(
        "retrain",
        "Queue a retrain job with the pending corrections (written to "
        "<data>/feedback/corrections-*.jsonl and uploaded like any feedback file). Corrections "
        "are always trained on, never held out for validation; the job trains on the active "
        "model's corpus plus them and is promoted by the usual gate. Prints the job id");
    add_retrain_options(*retrain, rf->retrain);
    retrain->add_flag("--wait", rf->wait, "Run the job here and follow it to the end");
    retrain->callback(
        [&g, &action, rf] { action = [&g, rf] { return cmd_feedback_retrain(g, *rf); }; });

    // testset
    auto* testset = app.add_subcommand(
        "testset",
        "Pinned test sets: labelled files (any feedback format) kept in <data>/testsets/. Every "
        "retrain scores the new and the active model on them, and a new model whose leaf "
        "accuracy on them is lower is not promoted (besides the validation-split gate)");
    testset->require_subcommand(1);
    auto tp = std::make_shared<std::vector<std::string>>();
    auto ti = std::make_shared<IngestOptions>();
    auto* pin = testset->add_subcommand(
        "pin", "Store labelled files as pinned test sets (a file of the same name is replaced)");
    pin->add_option("paths", *tp, "Labelled files")->required();
    add_ingest_options(*pin, *ti);
    pin->callback(
        [&g, &action, tp, ti] { action = [&g, tp, ti] { return cmd_testset_pin(g, *tp, *ti); }; });
    auto* tlist = testset->add_subcommand("list", "The pinned test sets");
    tlist->callback([&g, &action] { action = [&g] { return cmd_testset_list(g); }; });
    auto tu = std::make_shared<std::string>();
    auto* unpin = testset->add_subcommand("unpin", "Remove a pinned test set by name");
    unpin->add_option("name", *tu, "Name as shown by 'testset list'")->required();
    unpin->callback([&g, &action, tu] {
        action = [&g, tu] {
            if (!unpin_test_set(g.data_dir, *tu))
                throw std::runtime_error("no pinned test set named '" + *tu + "'");
            std::printf("unpinned %s\n", tu->c_str());
            return 0;
        };
    });

    // schedule
    auto sf = std::make_shared<ScheduleFlags>();
    auto* schedule = app.add_subcommand(
        "schedule",
        "Show or change scheduled retraining (off by default; <data>/schedule.json). A watched "
        "folder queues one retrain job for new feedback files once nothing in it changed for "
        "the debounce time; files already there when watching starts are not queued. A daily "
        "time retrains with the pending corrections, if any. The window runs the schedule, and "
        "so does 'htc-trainer worker --follow'");
    schedule->add_option("--watch", sf->watch, "Watch this folder for new feedback files");
    schedule->add_flag("--no-watch", sf->no_watch, "Stop watching");
    schedule->add_option("--debounce", sf->debounce,
                         "Seconds without changes in the folder before its new files are queued "
                         "(default 10)");
    schedule->add_option("--daily", sf->daily, "Retrain daily at this local time (HH:MM)");
    schedule->add_flag("--no-daily", sf->no_daily, "No daily retrain");
    schedule->add_option("--auto-sync", sf->auto_sync,
                         "Window: queue a retrain by itself once N corrections are pending");
    schedule->add_flag("--no-auto-sync", sf->no_auto_sync, "No Auto Sync");
    schedule->callback([&g, &action, sf] { action = [&g, sf] { return cmd_schedule(g, *sf); }; });
}

}  // namespace htc::cli
