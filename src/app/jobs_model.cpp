#include "app/jobs_model.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <thread>

#include "app/controller.h"
#include "app/format.h"
#include "feedback/corrections_job.h"
#include "jobs/config.h"
#include "jobs/history_export.h"
#include "jobs/job_runner.h"
#include "jobs/job_store.h"
#include "jobs/retrain_job.h"
#include "jobs/schedule.h"
#include "jobs/upload_store.h"
#include "pipeline.h"
#include "text/encoding.h"

namespace fs = std::filesystem;

namespace htc::app {

namespace {

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

HistoryRow to_row(const jobs::Job& j) {
    HistoryRow r;
    r.id = j.id;
    r.created = j.created;
    r.created_local = iso_to_local(j.created);
    r.created_epoch = iso_to_epoch(j.created);
    r.status = jobs::to_string(j.status);
    r.details = j.details;
    r.error = j.error;
    r.duration = j.duration_seconds();
    r.model_version = j.model_version;
    r.files = j.files.size();
    r.haystack = lower(j.id + "\n" + j.details + "\n" + j.error);
    for (const auto& f : j.files) r.haystack += "\n" + lower(f.original_name);
    return r;
}

// All jobs, newest first, read in pages so that a store of 100,000 jobs never holds every
// full record at once.
std::vector<HistoryRow> load_rows(jobs::JobStore& store) {
    std::vector<HistoryRow> rows;
    jobs::HistoryQuery q;
    q.limit = 5000;
    for (q.offset = 0;; q.offset += q.limit) {
        jobs::HistoryPage page = store.history(q);
        for (const auto& j : page.jobs) rows.push_back(to_row(j));
        if (static_cast<std::int64_t>(page.jobs.size()) < q.limit) break;
    }
    // A job inserted between two pages shifts the offsets: drop the repeated rows.
    std::vector<HistoryRow> unique;
    unique.reserve(rows.size());
    {
        std::vector<std::pair<std::string, std::size_t>> ids;
        ids.reserve(rows.size());
        for (std::size_t i = 0; i < rows.size(); ++i) ids.emplace_back(rows[i].id, i);
        std::sort(ids.begin(), ids.end());
        std::vector<bool> keep(rows.size(), true);
        for (std::size_t i = 1; i < ids.size(); ++i) {
            if (ids[i].first == ids[i - 1].first) keep[ids[i].second] = false;
        }
        for (std::size_t i = 0; i < rows.size(); ++i) {
            if (keep[i]) unique.push_back(std::move(rows[i]));
        }
    }
    return unique;
}

HistoryView build_view(const std::vector<HistoryRow>& rows, const std::string& status,
                       const std::string& search, HistoryColumn column, bool ascending) {
    HistoryView v;
    std::string needle = lower(search);
    v.order.reserve(rows.size());
    for (std::uint32_t i = 0; i < rows.size(); ++i) {
        const HistoryRow& r = rows[i];
        if (!status.empty() && r.status != status) continue;
        if (!needle.empty() && r.haystack.find(needle) == std::string::npos) continue;
        v.order.push_back(i);
    }
    auto less = [&](std::uint32_t a, std::uint32_t b) -> bool {
        const HistoryRow& x = rows[a];
        const HistoryRow& y = rows[b];
        switch (column) {
            case HistoryColumn::Id:
                return x.id < y.id;
            case HistoryColumn::Status:
                return x.status < y.status;
            case HistoryColumn::Details:
                return x.details < y.details;
            case HistoryColumn::Duration:
                return x.duration < y.duration;
            case HistoryColumn::Model:
                return x.model_version < y.model_version;
            case HistoryColumn::Timestamp:
            default:
                return x.created_epoch < y.created_epoch;
        }
    };
    // Stable: equal keys keep the store's newest-first order.
    std::stable_sort(v.order.begin(), v.order.end(), [&](std::uint32_t a, std::uint32_t b) {
        return ascending ? less(a, b) : less(b, a);
    });
    return v;
}

FinishedSummary to_summary(const jobs::Job& j) {
    FinishedSummary s;
    s.id = j.id;
    s.status = jobs::to_string(j.status);
    s.details = j.details;
    s.error = j.error;
    s.version = j.model_version;
    s.metrics = j.metrics;
    s.duration = j.duration_seconds();
    if (j.result.is_object()) {
        s.previous_version = j.result.value("previous_version", 0);
        s.promoted = j.result.value("promoted", false);
        s.promotion_reason = j.result.value("promotion_reason", std::string());
        if (auto it = j.result.find("previous_metrics"); it != j.result.end()) {
            s.previous_metrics = *it;
        }
        if (!s.metrics.is_object()) {
            if (auto it = j.result.find("metrics"); it != j.result.end()) s.metrics = *it;
        }
    }
    return s;
}

std::string unique_export_path(const std::string& dir, const std::string& name) {
    fs::path base = fs::path(dir) / name;
    if (!fs::exists(base)) return base.string();
    std::string stem = base.stem().string(), ext = base.extension().string();
    for (int i = 2;; ++i) {
        fs::path p = fs::path(dir) / (stem + "-" + std::to_string(i) + ext);
        if (!fs::exists(p)) return p.string();
    }
}

}  // namespace

struct JobsModel::Impl {
    jobs::JobsConfig config;
    std::shared_ptr<jobs::JobStore> store;        // the runner's connection
    std::unique_ptr<jobs::JobStore> query_store;  // reads on the query worker
    std::unique_ptr<jobs::UploadStore> uploads;
    std::unique_ptr<jobs::JobRunner> runner;
    std::size_t finished_seen = 0;
    std::uint64_t store_generation = 0;
    std::int64_t last_queued = -1, last_running = -1;
    std::shared_ptr<std::atomic<bool>> alive = std::make_shared<std::atomic<bool>>(true);
    // Declared last: joined first.
    Worker submit_worker;  // copies files into the upload store
    Worker query_worker;   // history, job records, exports, cancels
    Worker view_worker;    // filter and sort of the loaded rows (never behind a slow read)
    bool first_snapshot = true;
    // The schedule (watched folder, daily time), checked every 2 s on its own thread.
    std::thread schedule_thread;
    std::mutex schedule_mu;
    std::condition_variable schedule_cv;
    bool schedule_stop = false;
};

JobsModel::JobsModel(Controller& controller, RunQueue& ui)
    : c_(controller), ui_(ui), impl_(std::make_unique<Impl>()) {
    jobs::ConfigOverrides overrides;
    overrides.data_dir = c_.data_dir();
    try {
        impl_->config = jobs::load_config(overrides);
    } catch (const std::exception& e) {
        c_.toast(ToastKind::Error, std::string(e.what()) + "; using the default job settings",
                 12.0);
        impl_->config =
            jobs::load_config(overrides, [](const char*) -> const char* { return nullptr; });
    }
    c_.set_upload_limits(impl_->config.allowed_extensions, impl_->config.max_file_size);
    try {
        // A read-only data folder is named at start-up instead of failing on the first write.
        jobs::check_writable_folders(impl_->config);
        impl_->store = std::make_shared<jobs::JobStore>(impl_->config.store_path());
        impl_->query_store = std::make_unique<jobs::JobStore>(impl_->config.store_path());
        impl_->uploads = std::make_unique<jobs::UploadStore>(impl_->config.upload_dir,
                                                             impl_->config.allowed_extensions,
                                                             impl_->config.max_file_size);
        impl_->runner =
            std::make_unique<jobs::JobRunner>(impl_->store, jobs::runner_options(impl_->config),
                                              jobs::make_retrain_job_function(c_.data_dir()));
        impl_->runner->set_wake_callback([&ui] { ui.wake(); });
        // Recovery of jobs left running by a dead process and retention run inside start().
        impl_->runner->start();
        start_schedule();
    } catch (const std::exception& e) {
        store_error_ = e.what();
        c_.toast(ToastKind::Error, store_error_, 15.0);
        impl_->runner.reset();
    }
    filter_status_ = c_.settings().history_status;
    refresh_history();
}

JobsModel::~JobsModel() { shutdown(); }

void JobsModel::shutdown() {
    if (!impl_) return;
    impl_->alive->store(false);
    {
        std::lock_guard<std::mutex> lock(impl_->schedule_mu);
        impl_->schedule_stop = true;
    }
    impl_->schedule_cv.notify_all();
    if (impl_->schedule_thread.joinable()) impl_->schedule_thread.join();
    // A running job is requeued: it runs again at the next start (or in a CLI worker).
    if (impl_->runner) impl_->runner->stop(jobs::JobRunner::StopMode::Requeue);
    impl_->submit_worker.stop();
    impl_->query_worker.stop();
    impl_->view_worker.stop();
    impl_->runner.reset();
}

bool JobsModel::job_active() const { return submitting_ || queued_ > 0 || running_ > 0; }

const HistoryRow* JobsModel::find_row(const std::string& id) const {
    if (!rows_) return nullptr;
    for (const auto& r : *rows_) {
        if (r.id == id) return &r;
    }
    return nullptr;
}

void JobsModel::tick() {
    if (!impl_->runner) return;
    auto snap = impl_->runner->snapshot();
    const double now = c_.now();
    if (snap && snap->version != snapshot_version_) {
        snapshot_version_ = snap->version;
        c_.note_change();
        queued_ = static_cast<std::size_t>(std::max<std::int64_t>(0, snap->queued));
        running_ = static_cast<std::size_t>(std::max<std::int64_t>(0, snap->running));
        if (!snap->store_error.empty()) store_error_ = snap->store_error;
        on_snapshot();
        // History: at once when jobs start or end, otherwise (progress writes) at most every
        // few seconds and only while the History tab shows it.
        // The constructor already reads the history: the first snapshot only sets the marks.
        bool counts_moved = !impl_->first_snapshot && (snap->queued != impl_->last_queued ||
                                                       snap->running != impl_->last_running);
        if (impl_->first_snapshot) impl_->store_generation = snap->store_generation;
        impl_->first_snapshot = false;
        impl_->last_queued = snap->queued;
        impl_->last_running = snap->running;
        if (snap->store_generation != impl_->store_generation) {
            impl_->store_generation = snap->store_generation;
            if (counts_moved) {
                refresh_history();
            } else {
                history_stale_ = true;
            }
        }
    }
    if (history_stale_ && c_.active_tab() == Tab::History && history_loading_ == 0 &&
        now - last_history_refresh_ > 3.0) {
        refresh_history();
    }
}

void JobsModel::on_snapshot() {
    auto snap = impl_->runner->snapshot();
    // The live panel follows the job this window started, else any running job.
    const jobs::LiveJob* follow = nullptr;
    for (const auto& l : snap->live) {
        if (l.id == started_id_) follow = &l;
    }
    bool started_finished = finished_ && finished_->id == started_id_;
    if (!follow && (started_id_.empty() || started_finished) && !snap->live.empty()) {
        follow = &snap->live.front();
    }
    if (follow) {
        LiveJob live;
        live.id = follow->id;
        live.status = follow->cancel_requested ? "running" : "running";
        live.stage = follow->cancel_requested ? follow->stage + " (cancelling)" : follow->stage;
        live.progress = follow->progress;
        live.eta_seconds = follow->eta_seconds;
        live.metric_name = follow->metric_name;
        live.curve.reserve(follow->curve.size());
        for (const auto& p : follow->curve) live.curve.push_back(static_cast<float>(p.value));
        live_ = std::move(live);
    } else if (!started_id_.empty() && !started_finished) {
        // Submitted and waiting for a free slot.
        LiveJob live;
        live.id = started_id_;
        live.status = "queued";
        live.stage = "waiting for a free slot";
        live_ = std::move(live);
    } else {
        live_.reset();
    }

    auto finished = impl_->runner->finished_jobs();
    if (finished.size() > impl_->finished_seen) {
        std::vector<std::string> fresh(finished.begin() + static_cast<long>(impl_->finished_seen),
                                       finished.end());
        impl_->finished_seen = finished.size();
        auto alive = impl_->alive;
        Impl* impl = impl_.get();
        impl_->query_worker.submit([this, alive, impl, fresh] {
            std::vector<jobs::Job> done;
            for (const auto& id : fresh) {
                try {
                    if (auto j = impl->query_store->get(id, false)) done.push_back(std::move(*j));
                } catch (const std::exception&) {
                }
            }
            ui_.post([this, alive, done = std::move(done)] {
                if (!alive->load()) return;
                for (const auto& j : done) {
                    FinishedSummary s = to_summary(j);
                    ToastKind kind = j.status == jobs::JobStatus::Completed ? ToastKind::Success
                                     : j.status == jobs::JobStatus::Failed  ? ToastKind::Error
                                                                            : ToastKind::Info;
                    std::string text = "Job " + short_job_id(j.id) + " " + s.status;
                    if (!s.details.empty()) text += ": " + s.details;
                    if (!s.error.empty() && s.error != s.details) text += " - " + s.error;
                    c_.toast(kind, text, 8.0);
                    if (j.id == started_id_ || started_id_.empty()) finished_ = std::move(s);
                }
                // The window follows the started job until it has ended.
                if (finished_ && finished_->id == started_id_) on_snapshot();
                c_.refresh_models();
                refresh_history();
                c_.note_change();
            });
        });
    }
}

// ---- commands ----

void JobsModel::start_retrain() {
    if (!impl_->runner || submitting_) return;
    const TrainingForm& t = c_.settings().training;
    RetrainOptions opts;
    opts.ingest = c_.ingest_options();
    opts.sanitize.mask_pii = t.mask_pii;
    opts.engine = t.engine;
    opts.params = t.params;
    opts.validation_fraction = t.validation_fraction;
    opts.promote = parse_promote_policy(t.promote);
    opts.extend_corpus = t.extend_corpus;
    std::vector<jobs::UploadSource> sources;
    std::size_t left_out = 0;
    for (const auto& e : c_.retrain_entries()) {
        if (!e.usable()) {
            ++left_out;
            continue;
        }
        sources.push_back({e.path, e.name});
    }
    if (sources.empty()) {
        c_.toast(ToastKind::Warning, "No file with labelled records to train on");
        return;
    }
    if (left_out > 0) {
        c_.toast(ToastKind::Info,
                 std::to_string(left_out) + " item(s) without labelled records were left out");
    }
    submit(std::move(sources), std::move(opts), true);
}

void JobsModel::start_sample_retrain(const std::string& sample_dir) {
    if (!impl_->runner) {
        c_.toast(ToastKind::Error, "Retrain not started: the job store is unavailable: " +
                                       store_error_, 10.0);
        return;
    }
    if (submitting_) return;
    std::vector<jobs::UploadSource> sources;
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(sample_dir, ec)) {
        if (entry.is_regular_file(ec)) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& p : files) sources.push_back({p.string(), p.filename().string()});
    if (sources.empty()) {
        c_.toast(ToastKind::Error, "The bundled sample is missing: no files in " + sample_dir);
        return;
    }
    const TrainingForm& t = c_.settings().training;
    RetrainOptions opts;  // the readers' defaults: the sample's files have their own headers
    opts.sanitize.mask_pii = t.mask_pii;
    opts.engine = t.engine;
    opts.params = t.params;
    opts.validation_fraction = t.validation_fraction;
    opts.promote = parse_promote_policy(t.promote);
    opts.extend_corpus = t.extend_corpus;
    submit(std::move(sources), std::move(opts), false);
}

void JobsModel::submit(std::vector<jobs::UploadSource> sources, RetrainOptions opts,
                       bool clear_files) {
    submitting_ = true;
    c_.note_change();
    auto alive = impl_->alive;
    Impl* impl = impl_.get();
    impl_->submit_worker.submit([this, alive, impl, sources, opts, clear_files] {
        jobs::SubmitResult r;
        try {
            r = jobs::submit_job(*impl->store, *impl->uploads, sources, opts);
        } catch (const std::exception& e) {
            r.error = e.what();
        }
        if (r.queued && impl->runner) impl->runner->notify();
        ui_.post([this, alive, clear_files, r = std::move(r)] {
            if (!alive->load()) return;
            submitting_ = false;
            c_.note_change();
            if (!r.queued) {
                std::string why = r.error;
                for (const auto& f : r.files) {
                    if (!f.error.empty()) {
                        why += "; " + f.original_name + ": " + f.error;
                        break;
                    }
                }
                c_.toast(ToastKind::Error, "Retrain not started: " + why, 10.0);
                if (!r.job_id.empty()) refresh_history();  // recorded as a failed job
                return;
            }
            started_id_ = r.job_id;
            finished_.reset();
            LiveJob live;
            live.id = r.job_id;
            live.status = "queued";
            live.stage = "queued";
            live_ = std::move(live);
            std::string text = "Retrain job " + short_job_id(r.job_id) + " queued with " +
                               std::to_string(r.accepted()) + " file(s)";
            if (r.rejected() > 0) text += ", " + std::to_string(r.rejected()) + " rejected";
            c_.toast(ToastKind::Info, text);
            if (clear_files) c_.clear_retrain_files();
            refresh_history();
        });
    });
}

void JobsModel::cancel(const std::string& id) {
    if (!impl_->runner) return;
    auto alive = impl_->alive;
    Impl* impl = impl_.get();
    impl_->query_worker.submit([this, alive, impl, id] {
        jobs::CancelOutcome out = jobs::CancelOutcome::NotFound;
        std::string error;
        try {
            out = impl->runner->cancel(id);
        } catch (const std::exception& e) {
            error = e.what();
        }
        ui_.post([this, alive, id, out, error] {
            if (!alive->load()) return;
            std::string text;
            switch (out) {
                case jobs::CancelOutcome::CancelledQueued:
                    text = "cancelled";
                    break;
                case jobs::CancelOutcome::Requested:
                    text = "is stopping";
                    break;
                case jobs::CancelOutcome::AlreadyRequested:
                    text = "is already stopping";
                    break;
                case jobs::CancelOutcome::AlreadyFinished:
                    text = "had already finished";
                    break;
                case jobs::CancelOutcome::NotFound:
                    text = "was not found";
                    break;
            }
            if (!error.empty()) text = "could not be cancelled: " + error;
            c_.toast(ToastKind::Info, "Job " + short_job_id(id) + " " + text);
            refresh_history();
        });
    });
}

void JobsModel::retry(const std::string& id) {
    if (!impl_->runner || submitting_) return;
    submitting_ = true;
    c_.note_change();
    auto alive = impl_->alive;
    Impl* impl = impl_.get();
    impl_->submit_worker.submit([this, alive, impl, id] {
        jobs::SubmitResult r;
        try {
            auto job = impl->query_store->get(id, false);
            if (!job) throw std::runtime_error("job " + id + " is no longer in the store");
            RetrainOptions opts = RetrainOptions::from_json(job->parameters);
            // The stored copies of the old job are uploaded again as a new job.
            std::vector<jobs::UploadSource> sources;
            for (const auto& p : opts.paths) {
                if (!fs::exists(p)) {
                    throw std::runtime_error("the uploaded files of job " + short_job_id(id) +
                                             " are gone (" + p + ")");
                }
                sources.push_back({p, base_name(p)});
            }
            r = jobs::submit_job(*impl->store, *impl->uploads, sources, opts);
        } catch (const std::exception& e) {
            r.error = e.what();
        }
        if (r.queued && impl->runner) impl->runner->notify();
        ui_.post([this, alive, id, r = std::move(r)] {
            if (!alive->load()) return;
            submitting_ = false;
            c_.note_change();
            if (!r.queued) {
                c_.toast(ToastKind::Error, "Retry of " + short_job_id(id) + " failed: " + r.error,
                         10.0);
                return;
            }
            started_id_ = r.job_id;
            finished_.reset();
            c_.toast(ToastKind::Info,
                     "Job " + short_job_id(id) + " retried as " + short_job_id(r.job_id));
            refresh_history();
        });
    });
}

// ---- history ----

void JobsModel::refresh_history() {
    if (!impl_->query_store) return;
    // One full read at a time: a request made while one runs is served by one more read
    // after it (a store of 100,000 jobs takes seconds to read).
    if (reading_history_) {
        history_stale_ = true;
        refresh_again_ = true;
        return;
    }
    reading_history_ = true;
    ++history_loading_;
    history_stale_ = false;
    last_history_refresh_ = c_.now();
    c_.note_change();
    auto alive = impl_->alive;
    Impl* impl = impl_.get();
    std::string status = filter_status_, search = filter_search_;
    HistoryColumn column = sort_column_;
    bool ascending = sort_ascending_;
    std::uint64_t generation = ++view_generation_;
    impl_->query_worker.submit([this, alive, impl, status, search, column, ascending, generation] {
        std::shared_ptr<std::vector<HistoryRow>> rows;
        std::shared_ptr<HistoryView> view;
        std::string error;
        const auto started = std::chrono::steady_clock::now();
        try {
            rows = std::make_shared<std::vector<HistoryRow>>(load_rows(*impl->query_store));
            view =
                std::make_shared<HistoryView>(build_view(*rows, status, search, column, ascending));
        } catch (const std::exception& e) {
            error = e.what();
        }
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        ui_.post([this, alive, rows, view, error, generation, seconds] {
            if (!alive->load()) return;
            --history_loading_;
            reading_history_ = false;
            last_history_seconds_ = seconds;
            c_.note_change();
            if (refresh_again_) {
                refresh_again_ = false;
                refresh_history();
            }
            if (!error.empty()) {
                store_error_ = error;
                return;
            }
            rows_ = rows;
            // A filter or sort change made meanwhile has its own view coming.
            if (generation == view_generation_) {
                view_ = view;
            } else {
                rebuild_view();
            }
        });
    });
}

void JobsModel::rebuild_view() {
    if (!rows_) return;
    ++history_loading_;
    auto alive = impl_->alive;
    auto rows = rows_;
    std::string status = filter_status_, search = filter_search_;
    HistoryColumn column = sort_column_;
    bool ascending = sort_ascending_;
    std::uint64_t generation = ++view_generation_;
    impl_->view_worker.submit([this, alive, rows, status, search, column, ascending, generation] {
        auto view =
            std::make_shared<HistoryView>(build_view(*rows, status, search, column, ascending));
        ui_.post([this, alive, rows, view, generation] {
            if (!alive->load()) return;
            --history_loading_;
            c_.note_change();
            if (generation == view_generation_ && rows == rows_) view_ = view;
        });
    });
}

void JobsModel::set_filter(const std::string& status, const std::string& search) {
    filter_status_ = status;
    filter_search_ = search;
    rebuild_view();
}

void JobsModel::set_sort(HistoryColumn column, bool ascending) {
    if (column == sort_column_ && ascending == sort_ascending_) return;
    sort_column_ = column;
    sort_ascending_ = ascending;
    rebuild_view();
}

void JobsModel::export_csv() {
    if (!impl_->query_store || exporting_) return;
    exporting_ = true;
    c_.note_change();
    auto alive = impl_->alive;
    Impl* impl = impl_.get();
    std::string dir = c_.data_dir() + "/exports";
    impl_->query_worker.submit([this, alive, impl, dir] {
        std::string path, error;
        std::size_t count = 0;
        try {
            // The whole history in the store's order: the same file as `history --csv`.
            jobs::HistoryQuery q;
            q.limit = -1;
            jobs::HistoryPage page = impl->query_store->history(q);
            count = page.jobs.size();
            fs::create_directories(dir);
            path = unique_export_path(dir, jobs::default_export_file_name(jobs::now_epoch_ms()));
            jobs::write_history_csv(path, page.jobs);
        } catch (const std::exception& e) {
            error = e.what();
        }
        ui_.post([this, alive, path, error, count] {
            if (!alive->load()) return;
            exporting_ = false;
            c_.note_change();
            if (!error.empty()) {
                c_.toast(ToastKind::Error, "Export failed: " + error, 10.0);
                return;
            }
            last_export_ = path;
            c_.toast(ToastKind::Success, "Exported " + std::to_string(count) + " job(s) to " + path,
                     10.0);
        });
    });
}

// ---- job view ----

void JobsModel::open_job(const std::string& id) {
    if (!impl_->query_store) return;
    viewed_id_ = id;
    viewed_loading_ = true;
    viewed_.reset();
    auto alive = impl_->alive;
    Impl* impl = impl_.get();
    impl_->query_worker.submit([this, alive, impl, id] {
        std::optional<jobs::Job> job;
        try {
            job = impl->query_store->get(id, true);
        } catch (const std::exception&) {
        }
        ui_.post([this, alive, id, job = std::move(job)]() mutable {
            if (!alive->load() || id != viewed_id_) return;
            viewed_loading_ = false;
            viewed_ = std::move(job);
            c_.note_change();
        });
    });
}

// ---- corrections and the schedule ----

namespace {
RetrainOptions options_from_form(const Controller& c) {
    const TrainingForm& t = const_cast<Controller&>(c).settings().training;
    RetrainOptions opts;
    opts.sanitize.mask_pii = t.mask_pii;
    opts.engine = t.engine;
    opts.params = t.params;
    opts.validation_fraction = t.validation_fraction;
    opts.promote = parse_promote_policy(t.promote);
    opts.extend_corpus = true;  // corrections extend the active model's corpus
    return opts;
}
}  // namespace

void JobsModel::retrain_with_corrections() {
    if (!impl_->runner || submitting_) return;
    if (c_.pending_feedback() == 0) {
        c_.toast(ToastKind::Info, "No pending corrections to retrain with");
        return;
    }
    submitting_ = true;
    c_.note_change();
    RetrainOptions opts = options_from_form(c_);
    opts.ingest.max_file_size = impl_->config.max_file_size;
    auto alive = impl_->alive;
    Impl* impl = impl_.get();
    std::string data_dir = c_.data_dir();
    impl_->submit_worker.submit([this, alive, impl, opts, data_dir] {
        CorrectionsSubmit r;
        try {
            FeedbackStore fb(data_dir);
            r = submit_corrections(fb, *impl->store, *impl->uploads, opts, data_dir);
        } catch (const std::exception& e) {
            r.submit.error = e.what();
        }
        if (r.submit.queued && impl->runner) impl->runner->notify();
        ui_.post([this, alive, r] {
            if (!alive->load()) return;
            submitting_ = false;
            c_.note_change();
            c_.refresh_feedback_count();
            if (!r.submit.queued) {
                c_.toast(ToastKind::Error, "Retrain not started: " + r.submit.error, 10.0);
                return;
            }
            started_id_ = r.submit.job_id;
            finished_.reset();
            LiveJob live;
            live.id = r.submit.job_id;
            live.status = "queued";
            live.stage = "queued";
            live_ = std::move(live);
            c_.toast(ToastKind::Info, "Retrain job " + short_job_id(r.submit.job_id) +
                                          " queued with " + std::to_string(r.corrections) +
                                          " correction(s)");
            refresh_history();
        });
    });
}

void JobsModel::start_schedule() {
    c_.set_auto_sync_handler([this] { retrain_with_corrections(); });
    Impl* impl = impl_.get();
    auto alive = impl_->alive;
    std::string data_dir = c_.data_dir();
    impl_->schedule_thread = std::thread([this, impl, alive, data_dir] {
        // Its own store connection and upload store: the thread never shares a statement.
        std::unique_ptr<jobs::JobStore> store;
        try {
            store = std::make_unique<jobs::JobStore>(impl->config.store_path());
        } catch (const std::exception&) {
            return;
        }
        jobs::UploadStore uploads(impl->config.upload_dir, impl->config.allowed_extensions,
                                  impl->config.max_file_size);
        jobs::Scheduler scheduler(data_dir, *store, uploads);
        std::unique_lock<std::mutex> lock(impl->schedule_mu);
        while (!impl->schedule_stop) {
            lock.unlock();
            double now =
                std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
                    .count();
            auto events = scheduler.tick(now, std::time(nullptr));
            bool queued = false;
            for (const auto& e : events) queued |= !e.job_id.empty();
            if (queued && impl->runner) impl->runner->notify();
            if (!events.empty()) {
                ui_.post([this, alive, events] {
                    if (!alive->load()) return;
                    for (const auto& e : events)
                        c_.toast(e.kind == "error" ? ToastKind::Error : ToastKind::Info,
                                 e.job_id.empty()
                                     ? e.message
                                     : e.message + " (job " + short_job_id(e.job_id) + ")",
                                 8.0);
                    c_.refresh_feedback_count();
                    refresh_history();
                });
            }
            lock.lock();
            impl->schedule_cv.wait_for(lock, std::chrono::seconds(2),
                                       [impl] { return impl->schedule_stop; });
        }
    });
}

}  // namespace htc::app
