// Commands over the job system: submit, history, job, cancel, worker, import-logs.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/cli.h"
#include "cli/retrain_options.h"
#include "jobs/config.h"
#include "jobs/history_export.h"
#include "jobs/job_runner.h"
#include "jobs/job_store.h"
#include "jobs/retrain_job.h"
#include "jobs/schedule.h"
#include "jobs/seed_import.h"

namespace fs = std::filesystem;

namespace htc::cli {

namespace {

using namespace htc::jobs;

// Exit codes of `submit --wait` by the job's final status.
constexpr int kExitFailed = 1;
constexpr int kExitConfig = 2;
constexpr int kExitCancelled = 3;
constexpr int kExitInterrupted = 4;
constexpr int kExitSignal = 130;

const char* const kConfigHelp =
    "Settings come from flags, else from the environment (HTC_DATA_DIR, HTC_UPLOAD_DIR, "
    "HTC_LOG_DIR, HTC_MAX_FILE_SIZE, HTC_ALLOWED_EXTENSIONS, HTC_MAX_CONCURRENT_JOBS, "
    "HTC_JOB_TIMEOUT, HTC_HISTORY_RETENTION), else defaults. Sizes: bytes or KB/MB/GB "
    "(1024-based, also KiB/MiB/GiB). Durations: seconds or 30m, 2h, 1h30m (0 = no limit). "
    "Retention: 90d, 12w, a job count such as 1000, or all.";

void add_store_options(CLI::App& cmd, ConfigOverrides& o) {
    cmd.add_option(
           "--log-dir", o.log_dir,
           "Folder of the job store jobs.sqlite3 (env HTC_LOG_DIR; default <data>/htc_logs)")
        ->type_name("DIR");
    cmd.add_option("--upload-dir", o.upload_dir,
                   "Folder for uploaded copies (env HTC_UPLOAD_DIR; default <data>/htc_uploads)")
        ->type_name("DIR");
}

void add_runner_options(CLI::App& cmd, ConfigOverrides& o) {
    cmd.add_option("--max-concurrent-jobs", o.max_concurrent_jobs,
                   "Jobs run at once over all processes sharing the data folder (env "
                   "HTC_MAX_CONCURRENT_JOBS; default 1)")
        ->type_name("N");
    cmd.add_option("--job-timeout", o.job_timeout,
                   "A job running longer fails with 'timed out' (env HTC_JOB_TIMEOUT; default 2h; "
                   "0 = no limit)")
        ->type_name("DURATION");
    cmd.add_option("--history-retention", o.history_retention,
                   "Delete finished jobs older than this (90d) or beyond the newest N (1000) "
                   "when jobs end (env HTC_HISTORY_RETENTION; default all)")
        ->type_name("RETENTION");
}

void add_upload_options(CLI::App& cmd, ConfigOverrides& o) {
    cmd.add_option("--max-file-size", o.max_file_size,
                   "Largest accepted file (env HTC_MAX_FILE_SIZE; default 100MB)")
        ->type_name("SIZE");
    cmd.add_option("--allowed-extensions", o.allowed_extensions,
                   "Accepted file types (env HTC_ALLOWED_EXTENSIONS; default "
                   ".pdf,.csv,.txt,.json,.tsv,.jsonl)")
        ->type_name("LIST");
}

// Loads the settings; a bad value is reported here (exit 2), not as a generic failure.
struct ConfigFailure {
    std::string message;
};

JobsConfig config_for(const Globals& g, ConfigOverrides o) {
    o.data_dir = g.data_dir;
    try {
        JobsConfig c = load_config(o);
        // A read-only or unwritable data folder is refused here, before the store is opened.
        check_writable_folders(c);
        return c;
    } catch (const ConfigError& e) {
        throw ConfigFailure{e.what()};
    }
}

// Runs a command body, turning configuration errors into exit code 2.
int guarded(const std::function<int()>& body) {
    try {
        return body();
    } catch (const ConfigFailure& e) {
        std::fprintf(stderr, "htc-trainer: %s\n", e.message.c_str());
        return kExitConfig;
    }
}

std::string local_time(const std::string& iso) {
    if (iso.empty()) return "-";
    auto ms = parse_iso8601(iso);
    if (!ms) return iso;
    std::time_t t = static_cast<std::time_t>(*ms / 1000);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

std::string short_id(const std::string& id) { return id.substr(0, 8); }

std::string duration_text(const Job& j) {
    double d = j.duration_seconds();
    return d < 0 ? "-" : format_seconds(d);
}

// Full id from a unique prefix; throws with a clear message otherwise.
std::string resolve_job_id(JobStore& store, const std::string& prefix) {
    if (prefix.empty()) throw std::runtime_error("no job id given");
    auto ids = store.ids_with_prefix(prefix, 2);
    if (ids.empty()) throw std::runtime_error("no job with id '" + prefix + "' in " + store.path());
    if (ids.size() > 1)
        throw std::runtime_error(
            "job id '" + prefix +
            "' is ambiguous (several jobs start with it); give more characters");
    return ids.front();
}

int exit_code_for(JobStatus s) {
    switch (s) {
        case JobStatus::Completed:
            return 0;
        case JobStatus::Cancelled:
            return kExitCancelled;
        case JobStatus::Interrupted:
            return kExitInterrupted;
        default:
            return kExitFailed;
    }
}

void print_job_line(const Job& j) {
    std::printf("%s  %-11s %s\n", j.id.c_str(), to_string(j.status).c_str(),
                (j.error.empty() || j.details.find(j.error) != std::string::npos
                     ? j.details
                     : j.details + " (" + j.error + ")")
                    .c_str());
}

// Shows a running job's live state on stderr through the shared progress printer.
struct JobProgress {
    explicit JobProgress(bool quiet) : printer(quiet) {}
    ProgressPrinter printer;
    void show(const LiveJob& l) {
        Progress p;
        p.stage = l.stage;
        p.fraction = l.progress;
        p.eta_seconds = l.eta_seconds;
        p.message = "[" + short_id(l.id) + "]";
        if (!l.log_tail.empty()) p.message += " " + l.log_tail.back().message;
        printer(p);
    }
};

// ---------------------------------------------------------------- submit

struct SubmitFlags {
    std::vector<std::string> paths;
    RetrainFlags retrain;
    ConfigOverrides config;
    bool wait = false;
};

// Runs `id` in this process (unless another process takes it first) and follows it to the end.
int follow_job(const Globals& g, const JobsConfig& cfg, std::shared_ptr<JobStore> store,
               const std::string& id) {
    RunnerOptions ro = runner_options(cfg);
    ro.only_job_ids = {id};
    ro.stop_when_queue_empty = true;
    JobRunner runner(store, ro, make_retrain_job_function(g.data_dir));
    const auto* signal = install_cancel_on_signal();
    runner.start();
    JobProgress progress(g.quiet || g.json);
    bool cancel_sent = false;
    std::optional<Job> job;
    for (;;) {
        if (signal->load() && !cancel_sent) {
            runner.cancel(id);
            cancel_sent = true;
        }
        auto snap = runner.snapshot();
        for (const auto& l : snap->live)
            if (l.id == id) progress.show(l);
        job = store->get(id, false);
        if (!job) throw std::runtime_error("job " + id + " disappeared from the store");
        if (is_terminal(job->status) && runner.workers_ended()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    runner.stop();
    progress.printer.finish();
    job = store->get(id, true);
    if (g.json) {
        std::cout << job->to_json(false).dump(2, ' ', false,
                                              nlohmann::json::error_handler_t::replace)
                  << "\n";
    } else {
        print_job_line(*job);
    }
    return exit_code_for(job->status);
}

int cmd_submit(const Globals& g, SubmitFlags& f) {
    return guarded([&] {
        finish_retrain_options(f.retrain);
        JobsConfig cfg = config_for(g, f.config);
        auto store = std::make_shared<JobStore>(cfg.store_path());
        UploadStore uploads(cfg.upload_dir, cfg.allowed_extensions, cfg.max_file_size);
        RetrainOptions opts = f.retrain.opts;
        opts.ingest.max_file_size = cfg.max_file_size;
        SubmitResult r = submit_job(*store, uploads, f.paths, opts);
        for (const auto& file : r.files)
            if (!file.accepted())
                std::fprintf(stderr, "htc-trainer: rejected %s: %s\n", file.original_name.c_str(),
                             file.error.c_str());
        if (!r.queued) {
            std::fprintf(stderr, "htc-trainer: nothing queued: %s\n", r.error.c_str());
            if (!r.job_id.empty())
                std::fprintf(stderr, "htc-trainer: recorded as failed job %s\n", r.job_id.c_str());
            return 1;
        }
        if (!f.wait) {
            if (g.json) {
                nlohmann::json j = {{"job_id", r.job_id}, {"status", "queued"}};
                auto files = nlohmann::json::array();
                for (const auto& file : r.files) files.push_back(file.to_json());
                j["files"] = files;
                std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                          << "\n";
            } else {
                std::printf("%s\n", r.job_id.c_str());
            }
            return 0;
        }
        if (!g.json) {
            std::printf("%s\n", r.job_id.c_str());
            std::fflush(stdout);
        }
        return follow_job(g, cfg, store, r.job_id);
    });
}

// ---------------------------------------------------------------- history

struct HistoryFlags {
    std::vector<std::string> statuses;
    std::int64_t limit = 20;
    std::int64_t offset = 0;
    std::string search;
    std::string csv;
    std::string seed_json;
    ConfigOverrides config;
};

int cmd_history(const Globals& g, HistoryFlags& f) {
    return guarded([&] {
        JobsConfig cfg = config_for(g, f.config);
        JobStore store(cfg.store_path());
        store.recover_dead_owners();
        HistoryQuery q;
        for (const auto& s : f.statuses) {
            auto st = parse_job_status(s);
            if (!st)
                throw std::runtime_error("unknown status '" + s +
                                         "' (queued, running, completed, failed, cancelled, "
                                         "interrupted)");
            q.statuses.push_back(*st);
        }
        q.search = f.search;
        if (!f.csv.empty() || !f.seed_json.empty()) {
            HistoryQuery all = q;
            all.limit = -1;
            all.offset = 0;
            auto page = store.history(all);
            auto target = [](std::string path, const std::string& name) {
                if (fs::is_directory(path)) path = (fs::path(path) / name).string();
                return path;
            };
            if (!f.csv.empty()) {
                std::string path = target(f.csv, default_export_file_name(now_epoch_ms()));
                write_history_csv(path, page.jobs);
                std::fprintf(stderr, "wrote %zu job(s) to %s\n", page.jobs.size(), path.c_str());
            }
            if (!f.seed_json.empty()) {
                std::string name = default_export_file_name(now_epoch_ms());
                name = name.substr(0, name.size() - 4) + ".json";
                std::string path = target(f.seed_json, name);
                write_seed_records_json(path, page.jobs);
                std::fprintf(stderr, "wrote %zu job record(s) to %s\n", page.jobs.size(),
                             path.c_str());
            }
            return 0;
        }
        q.limit = f.limit;
        q.offset = f.offset;
        auto page = store.history(q);
        if (g.json) {
            nlohmann::json j = {{"total", page.total}, {"offset", q.offset}};
            auto jobs = nlohmann::json::array();
            for (const auto& job : page.jobs) jobs.push_back(job.to_json(false));
            j["jobs"] = jobs;
            std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
            return 0;
        }
        if (page.jobs.empty()) {
            std::printf("no jobs%s\n", page.total > 0 ? " on this page" : "");
            return 0;
        }
        std::printf("%-8s  %-19s  %-11s  %-8s  %-7s  %s\n", "JOB", "CREATED", "STATUS", "DURATION",
                    "MODEL", "DETAILS");
        for (const auto& j : page.jobs) {
            std::string details = j.details;
            if (j.status == JobStatus::Running)
                details = j.stage + " " + std::to_string(static_cast<int>(j.progress * 100)) + "%";
            if (details.size() > 70) details = details.substr(0, 67) + "...";
            std::printf("%-8s  %-19s  %-11s  %-8s  %-7s  %s\n", short_id(j.id).c_str(),
                        local_time(j.created).c_str(), to_string(j.status).c_str(),
                        duration_text(j).c_str(),
                        j.model_version > 0 ? ("v" + std::to_string(j.model_version)).c_str() : "-",
                        details.c_str());
        }
        std::int64_t shown_to = q.offset + static_cast<std::int64_t>(page.jobs.size());
        std::printf("%lld-%lld of %lld job(s), newest first (times are local)\n",
                    static_cast<long long>(q.offset + 1), static_cast<long long>(shown_to),
                    static_cast<long long>(page.total));
        return 0;
    });
}

// ---------------------------------------------------------------- job

int cmd_job(const Globals& g, const std::string& prefix, ConfigOverrides& o) {
    return guarded([&] {
        JobsConfig cfg = config_for(g, o);
        JobStore store(cfg.store_path());
        store.recover_dead_owners();
        auto job = store.get(resolve_job_id(store, prefix), true);
        if (!job) throw std::runtime_error("job '" + prefix + "' disappeared");
        if (g.json) {
            std::cout << job->to_json(true).dump(2, ' ', false,
                                                 nlohmann::json::error_handler_t::replace)
                      << "\n";
            return 0;
        }
        const Job& j = *job;
        std::printf("Job       %s\n", j.id.c_str());
        std::printf(
            "Status    %s%s\n", to_string(j.status).c_str(),
            j.cancel_requested && j.status == JobStatus::Running ? " (cancel requested)" : "");
        std::printf("Details   %s\n", j.details.c_str());
        if (!j.error.empty()) std::printf("Error     %s\n", j.error.c_str());
        std::printf("Created   %s\n", local_time(j.created).c_str());
        std::printf("Started   %s\n", local_time(j.started).c_str());
        std::printf("Finished  %s\n", local_time(j.finished).c_str());
        std::printf("Duration  %s\n", duration_text(j).c_str());
        if (j.status == JobStatus::Running) {
            std::printf("Stage     %s %d%%, ETA %s\n", j.stage.c_str(),
                        static_cast<int>(j.progress * 100), format_seconds(j.eta_seconds).c_str());
            std::printf("Owner     pid %lld on %s\n", static_cast<long long>(j.owner.pid),
                        j.owner.host.c_str());
        }
        std::printf("Attempts  %d\n", j.attempts);
        if (j.model_version > 0) std::printf("Model     v%d\n", j.model_version);
        if (j.metrics.is_object()) {
            auto num = [&](const char* k) {
                return j.metrics.contains(k) && j.metrics[k].is_number()
                           ? std::to_string(j.metrics[k].get<double>()).substr(0, 6)
                           : std::string("-");
            };
            std::printf(
                "Metrics   leaf accuracy %s, micro-F1 %s, macro-F1 %s, hierarchical F1 %s\n",
                num("leaf_accuracy").c_str(), num("micro_f1").c_str(), num("macro_f1").c_str(),
                num("h_f1").c_str());
        }
        if (j.source == "import") std::printf("Source    imported from a seed job log\n");
        std::printf("Files     %zu\n", j.files.size());
        for (const auto& f : j.files) {
            std::printf("  %s  %s", f.original_name.c_str(), format_bytes(f.size_bytes).c_str());
            if (!f.format.empty()) std::printf(", %s", f.format.c_str());
            if (f.records >= 0)
                std::printf(", %lld record(s), %lld labelled", static_cast<long long>(f.records),
                            static_cast<long long>(f.labelled));
            if (f.skipped > 0) std::printf(", %lld skipped", static_cast<long long>(f.skipped));
            if (!f.error.empty()) std::printf(" -- %s", f.error.c_str());
            std::printf("\n");
            for (const auto& s : f.skip_reasons) std::printf("      skipped %s\n", s.c_str());
            for (const auto& w : f.warnings) std::printf("      warning: %s\n", w.c_str());
        }
        if (!j.parameters.empty())
            std::printf("Parameters %s\n",
                        j.parameters.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                            .c_str());
        if (!j.curve.empty()) {
            const auto& last = j.curve.back();
            std::printf(
                "Curve     %zu point(s), last %s = %s\n", j.curve.size(), last.metric.c_str(),
                std::isfinite(last.value) ? std::to_string(last.value).c_str() : "no value");
        }
        std::printf("Log\n");
        for (const auto& l : j.log)
            std::printf("  %s  %s\n", local_time(l.time).c_str(), l.message.c_str());
        return 0;
    });
}

// ---------------------------------------------------------------- cancel

int cmd_cancel(const Globals& g, const std::string& prefix, ConfigOverrides& o) {
    return guarded([&] {
        JobsConfig cfg = config_for(g, o);
        JobStore store(cfg.store_path());
        store.recover_dead_owners();
        std::string id = resolve_job_id(store, prefix);
        switch (store.request_cancel(id)) {
            case CancelOutcome::CancelledQueued:
                std::printf("%s cancelled (it had not started)\n", id.c_str());
                return 0;
            case CancelOutcome::Requested:
                std::printf(
                    "%s: cancel requested; the process running it stops it at its next "
                    "check (within about a second)\n",
                    id.c_str());
                return 0;
            case CancelOutcome::AlreadyRequested:
                std::printf("%s: cancel was already requested\n", id.c_str());
                return 0;
            case CancelOutcome::AlreadyFinished: {
                auto j = store.get(id, false);
                std::fprintf(stderr, "htc-trainer: job %s already ended (%s); nothing to cancel\n",
                             id.c_str(), j ? to_string(j->status).c_str() : "?");
                return 1;
            }
            case CancelOutcome::NotFound:
            default:
                std::fprintf(stderr, "htc-trainer: no job %s\n", id.c_str());
                return 1;
        }
    });
}

// ---------------------------------------------------------------- worker

struct WorkerFlags {
    bool follow = false;
    ConfigOverrides config;
};

int cmd_worker(const Globals& g, WorkerFlags& f) {
    return guarded([&] {
        JobsConfig cfg = config_for(g, f.config);
        auto store = std::make_shared<JobStore>(cfg.store_path());
        RunnerOptions ro = runner_options(cfg);
        ro.stop_when_queue_empty = !f.follow;
        JobRunner runner(store, ro, make_retrain_job_function(g.data_dir));
        const auto* signal = install_cancel_on_signal();
        runner.start();
        if (!g.quiet)
            std::fprintf(
                stderr, "worker: pid %d, store %s, up to %d job(s) at once, timeout %s%s\n",
                static_cast<int>(::getpid()), store->path().c_str(), cfg.max_concurrent_jobs,
                cfg.job_timeout_seconds > 0 ? format_seconds(cfg.job_timeout_seconds).c_str()
                                            : "none",
                f.follow ? "; waiting for jobs (Ctrl-C to stop)" : "");
        JobProgress progress(g.quiet);
        // With --follow the worker also runs the schedule (watched folder, daily time) of
        // <data>/schedule.json, checked every 2 s.
        std::unique_ptr<UploadStore> sched_uploads;
        std::unique_ptr<Scheduler> scheduler;
        if (f.follow) {
            sched_uploads = std::make_unique<UploadStore>(cfg.upload_dir, cfg.allowed_extensions,
                                                          cfg.max_file_size);
            scheduler = std::make_unique<Scheduler>(g.data_dir, *store, *sched_uploads);
        }
        auto steady = [] {
            return std::chrono::duration<double>(
                       std::chrono::steady_clock::now().time_since_epoch())
                .count();
        };
        double next_schedule = 0;
        std::size_t reported = 0;
        bool all_completed = true, stopped = false;
        auto report_finished = [&] {
            auto done = runner.finished_jobs();
            for (; reported < done.size(); ++reported) {
                auto j = store->get(done[reported], false);
                if (!j) continue;
                progress.printer.finish();
                if (j->status == JobStatus::Queued) {
                    std::printf("%s  requeued (stopped by the shutdown)\n", j->id.c_str());
                    continue;
                }
                if (j->status != JobStatus::Completed) all_completed = false;
                print_job_line(*j);
                std::fflush(stdout);
            }
        };
        for (;;) {
            if (signal->load() && !stopped) {
                stopped = true;
                if (!g.quiet)
                    std::fprintf(stderr, "worker: stopping; running jobs go back to the queue\n");
                // Running jobs go back to the queue; a second signal ends the process at once
                // (the jobs are then recovered as interrupted by the next start).
                runner.request_stop(JobRunner::StopMode::Requeue);
            }
            if (scheduler && !stopped && steady() >= next_schedule) {
                next_schedule = steady() + 2;
                for (const auto& ev : scheduler->tick(steady(), std::time(nullptr))) {
                    progress.printer.finish();
                    std::fprintf(stderr, "worker: schedule: %s%s%s\n", ev.message.c_str(),
                                 ev.job_id.empty() ? "" : ": job ", ev.job_id.c_str());
                    if (!ev.job_id.empty()) runner.notify();
                }
            }
            auto snap = runner.snapshot();
            for (const auto& l : snap->live)
                if (l.local) progress.show(l);
            report_finished();
            if (runner.workers_ended()) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        runner.stop();
        report_finished();
        progress.printer.finish();
        if (stopped) return kExitSignal;
        return all_completed ? 0 : 1;
    });
}

// ---------------------------------------------------------------- import-logs

int cmd_import(const Globals& g, const std::string& dir, ConfigOverrides& o) {
    return guarded([&] {
        JobsConfig cfg = config_for(g, o);
        JobStore store(cfg.store_path());
        ImportReport r = import_seed_logs(store, dir);
        for (const auto& d : r.damaged)
            std::fprintf(stderr, "htc-trainer: skipped %s: %s\n", d.file.c_str(), d.reason.c_str());
        if (g.json) {
            nlohmann::json j = {{"files", r.files},
                                {"imported", r.imported},
                                {"already_present", r.already_present},
                                {"marked_interrupted", r.marked_interrupted}};
            auto damaged = nlohmann::json::array();
            for (const auto& d : r.damaged)
                damaged.push_back({{"file", d.file}, {"reason", d.reason}});
            j["damaged"] = damaged;
            std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        } else {
            std::printf(
                "imported %zu job(s) from %zu file(s); %zu already present, %zu damaged "
                "file(s) skipped, %zu unfinished job(s) marked interrupted\n",
                r.imported, r.files, r.already_present, r.damaged.size(), r.marked_interrupted);
        }
        return 0;
    });
}

}  // namespace

int follow_queued_job(const Globals& g, const std::string& id) {
    return guarded([&] {
        JobsConfig cfg = config_for(g, ConfigOverrides{});
        auto store = std::make_shared<JobStore>(cfg.store_path());
        return follow_job(g, cfg, store, id);
    });
}

void add_job_commands(CLI::App& app, Globals& g, Action& action) {
    // submit
    auto sf = std::make_shared<SubmitFlags>();
    auto* submit = app.add_subcommand(
        "submit",
        "Queue a retrain job: the files are checked (type, size), copied into the upload folder "
        "and the job id is printed. A worker (htc-trainer worker, or the window) runs it; with "
        "--wait this command runs it and follows it to the end");
    submit
        ->add_option("paths", sf->paths,
                     "Feedback files or folders (a folder's sub-folder path is the label of "
                     "files without labels)")
        ->required();
    submit->add_flag("--wait", sf->wait,
                     "Run the job now and follow it (progress on stderr); exit 0 if it "
                     "completed, 1 failed, 3 cancelled (Ctrl-C cancels it), 4 interrupted");
    add_retrain_options(*submit, sf->retrain);
    add_upload_options(*submit, sf->config);
    add_runner_options(*submit, sf->config);
    add_store_options(*submit, sf->config);
    submit->footer(kConfigHelp);
    submit->callback([&g, &action, sf] { action = [&g, sf] { return cmd_submit(g, *sf); }; });

    // history
    auto hf = std::make_shared<HistoryFlags>();
    auto* history = app.add_subcommand(
        "history", "List retrain jobs, newest first, or export them (--csv, --seed-json)");
    history
        ->add_option("--status", hf->statuses,
                     "Only jobs with this status (queued, running, completed, failed, cancelled, "
                     "interrupted); repeatable or comma separated")
        ->type_name("STATUS")
        ->delimiter(',');
    history->add_option("--limit", hf->limit, "Jobs per page")->check(CLI::Range(1, 100000000))->capture_default_str();
    history->add_option("--offset", hf->offset, "Jobs to skip (paging)");
    history
        ->add_option("--search", hf->search,
                     "Id prefix, or text in the details, error or file names")
        ->type_name("TEXT");
    history
        ->add_option("--csv", hf->csv,
                     "Write every matching job (not only one page) as CSV for spreadsheets "
                     "(UTF-8 with BOM, CRLF line ends); a folder gets "
                     "htc-retrain-history-YYYY-MM-DD.csv")
        ->type_name("FILE|DIR");
    history
        ->add_option("--seed-json", hf->seed_json,
                     "Write every matching job as the seed's JSON records "
                     "[{job_id, timestamp, status, details}]")
        ->type_name("FILE|DIR");
    add_store_options(*history, hf->config);
    history->callback([&g, &action, hf] { action = [&g, hf] { return cmd_history(g, *hf); }; });

    // job
    auto jid = std::make_shared<std::string>();
    auto jcfg = std::make_shared<ConfigOverrides>();
    auto* job =
        app.add_subcommand("job", "Show one job: status, files, parameters, result and log");
    job->add_option("id", *jid, "Job id, or a unique prefix of it (the 8 characters history shows)")
        ->required();
    add_store_options(*job, *jcfg);
    job->callback(
        [&g, &action, jid, jcfg] { action = [&g, jid, jcfg] { return cmd_job(g, *jid, *jcfg); }; });

    // cancel
    auto cid = std::make_shared<std::string>();
    auto ccfg = std::make_shared<ConfigOverrides>();
    auto* cancel = app.add_subcommand(
        "cancel",
        "Cancel a job: a queued job is cancelled at once; a running one (in any process using "
        "this data folder) stops at its next check and ends as cancelled");
    cancel->add_option("id", *cid, "Job id or a unique prefix")->required();
    add_store_options(*cancel, *ccfg);
    cancel->callback([&g, &action, cid, ccfg] {
        action = [&g, cid, ccfg] { return cmd_cancel(g, *cid, *ccfg); };
    });

    // worker
    auto wf = std::make_shared<WorkerFlags>();
    auto* worker = app.add_subcommand(
        "worker",
        "Run queued jobs headless, oldest first, until the queue is empty (or for ever with "
        "--follow). Ctrl-C (SIGINT/SIGTERM) stops gracefully: running jobs are queued again; a "
        "second Ctrl-C exits at once (the next start marks them interrupted and requeues them). "
        "Exit 0 when every job it ran completed, 1 otherwise, 130 when stopped");
    worker->add_flag("--follow", wf->follow,
                     "Keep waiting for new jobs, and run the schedule (watched folder, daily "
                     "time; see 'htc-trainer schedule')");
    add_runner_options(*worker, wf->config);
    add_store_options(*worker, wf->config);
    worker->footer(kConfigHelp);
    worker->callback([&g, &action, wf] { action = [&g, wf] { return cmd_worker(g, *wf); }; });

    // import-logs
    auto idir = std::make_shared<std::string>();
    auto icfg = std::make_shared<ConfigOverrides>();
    auto* import = app.add_subcommand(
        "import-logs",
        "Import the seed's job logs (a folder of <job id>.json records, e.g. db/htc_logs) into "
        "the job store. Damaged files are reported and skipped; importing twice adds nothing");
    import->add_option("dir", *idir, "Folder with the .json job records")->required();
    add_store_options(*import, *icfg);
    import->callback([&g, &action, idir, icfg] {
        action = [&g, idir, icfg] { return cmd_import(g, *idir, *icfg);
};
}  // namespace htc::cli
);
}

}  // namespace htc::cli
