#include "jobs/job_runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "jobs/upload_store.h"

namespace fs = std::filesystem;

namespace htc::jobs {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

// "7200", or "0.5" for a limit below a second or with a fraction.
std::string whole_seconds(double s) {
    if (std::fabs(s - std::round(s)) < 1e-9)
        return std::to_string(static_cast<long long>(std::llround(s)));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", s);
    return buf;
}

// Per-file outcome from the reader, in the job's file record.
void apply_report(JobFile& f, const FileReport& r) {
    f.format = r.format;
    f.records = static_cast<std::int64_t>(r.records);
    f.labelled = static_cast<std::int64_t>(r.labelled);
    f.skipped = static_cast<std::int64_t>(r.skipped.size());
    f.skip_reasons.clear();
    for (const auto& s : r.skipped) {
        if (f.skip_reasons.size() >= 20) break;
        f.skip_reasons.push_back(s.line ? "line " + std::to_string(s.line) + ": " + s.reason
                                        : s.reason);
    }
    f.warnings = r.warnings;
    if (!r.error.empty()) f.error = r.error;
}

std::string norm(const fs::path& p) { return p.lexically_normal().generic_string(); }

}  // namespace

struct JobRunner::Run {
    Job job;
    std::atomic<bool> cancel{false};
    enum class Reason { None, User, Timeout, Shutdown, Lost } reason = Reason::None;  // mu_
    Clock::time_point start = Clock::now();
    LiveJob live;                            // mu_
    std::vector<CurvePoint> pending_points;  // mu_: not yet in the store
    std::vector<LogLine> pending_lines;      // mu_
    bool dirty = false;                      // mu_
    std::string last_message;                // mu_
    std::size_t log_lines = 0;               // mu_
    double last_point_fraction = -1;         // mu_
    std::mutex flush_mu;                     // keeps this run's store writes in order
};

RunnerOptions runner_options(const JobsConfig& c) {
    RunnerOptions o;
    o.upload_dir = c.upload_dir;
    o.max_concurrent_jobs = c.max_concurrent_jobs;
    o.job_timeout_seconds = c.job_timeout_seconds;
    o.retention = c.retention;
    return o;
}

JobRunner::JobRunner(std::shared_ptr<JobStore> store, RunnerOptions opts, JobFunction fn)
    : store_(std::move(store)),
      opts_(std::move(opts)),
      fn_(std::move(fn)),
      owner_(current_owner()) {
    if (opts_.max_concurrent_jobs < 1) opts_.max_concurrent_jobs = 1;
}

JobRunner::~JobRunner() { stop(StopMode::Requeue); }

void JobRunner::start() {
    if (started_) return;
    // Jobs left running by processes that are gone: interrupted, then requeued or failed.
    store_->recover_dead_owners();
    apply_retention();
    if (!opts_.upload_dir.empty()) {
        UploadStore uploads(opts_.upload_dir, {}, 0);
        // A crash between copying the files and queueing the job leaves a folder nobody
        // refers to; an hour is far longer than any copy takes.
        uploads.remove_orphans([this](const std::string& id) { return store_->exists(id); }, 3600);
    }
    refresh_from_store();
    started_ = true;
    {
        std::lock_guard lock(mu_);
        stopping_ = false;
        workers_alive_ = opts_.max_concurrent_jobs;
    }
    monitor_ = std::thread([this] { monitor_loop(); });
    for (int i = 0; i < opts_.max_concurrent_jobs; ++i)
        workers_.emplace_back([this] { worker_loop(); });
}

void JobRunner::request_stop(StopMode mode) {
    {
        std::lock_guard lock(mu_);
        if (!stopping_) stop_mode_ = mode;
        stopping_ = true;
        for (auto& [id, run] : runs_) {
            if (run->reason == Run::Reason::None) run->reason = Run::Reason::Shutdown;
            run->cancel = true;
        }
    }
    cv_.notify_all();
}

void JobRunner::wait() {
    std::unique_lock lock(mu_);
    workers_done_.wait(lock, [&] { return workers_alive_ == 0; });
}

bool JobRunner::workers_ended() const {
    std::lock_guard lock(mu_);
    return started_ && workers_alive_ == 0;
}

void JobRunner::stop(StopMode mode) {
    if (!started_) return;
    request_stop(mode);
    for (auto& t : workers_)
        if (t.joinable()) t.join();
    workers_.clear();
    {
        std::lock_guard lock(mu_);
        monitor_stop_ = true;
    }
    cv_.notify_all();
    if (monitor_.joinable()) monitor_.join();
    started_ = false;
    monitor_stop_ = false;
    changed(true);
}

void JobRunner::notify() {
    {
        std::lock_guard lock(mu_);
        ++wake_seq_;
    }
    cv_.notify_all();
}

CancelOutcome JobRunner::cancel(const std::string& id) {
    {
        std::lock_guard lock(mu_);
        auto it = runs_.find(id);
        if (it != runs_.end() && it->second->reason == Run::Reason::None) {
            it->second->reason = Run::Reason::User;
            it->second->cancel = true;
            it->second->live.cancel_requested = true;
            ++version_;
        }
    }
    CancelOutcome out = store_->request_cancel(id);
    changed(true);
    return out;
}

void JobRunner::set_wake_callback(std::function<void()> wake) {
    std::lock_guard lock(wake_mu_);
    wake_ = std::move(wake);
}

std::vector<std::string> JobRunner::finished_jobs() const {
    std::lock_guard lock(mu_);
    return finished_;
}

std::shared_ptr<const JobsSnapshot> JobRunner::snapshot() const {
    std::lock_guard lock(mu_);
    if (published_ && published_version_ == version_) return published_;
    auto s = std::make_shared<JobsSnapshot>();
    s->version = version_;
    s->store_generation = store_generation_;
    s->queued = queued_;
    s->running = running_;
    s->store_error = store_error_;
    for (const auto& [id, run] : runs_) s->live.push_back(run->live);
    for (const auto& f : foreign_) s->live.push_back(f);
    std::stable_sort(s->live.begin(), s->live.end(),
                     [](const LiveJob& a, const LiveJob& b) { return a.started < b.started; });
    published_ = std::move(s);
    published_version_ = version_;
    return published_;
}

void JobRunner::changed(bool store_changed) {
    {
        std::lock_guard lock(mu_);
        ++version_;
        if (store_changed) ++store_generation_;
    }
    std::function<void()> wake;
    {
        std::lock_guard lock(wake_mu_);
        wake = wake_;
    }
    if (wake) wake();
}

void JobRunner::apply_retention() {
    if (opts_.retention.kind == Retention::KeepAll) return;
    auto removed = store_->apply_retention(opts_.retention, now_epoch_ms());
    if (removed.empty() || opts_.upload_dir.empty()) return;
    UploadStore uploads(opts_.upload_dir, {}, 0);
    for (const auto& id : removed) uploads.remove_job(id);
}

// ---- workers ----

void JobRunner::worker_loop() {
    std::uint64_t seen_wake = 0;
    for (;;) {
        {
            std::lock_guard lock(mu_);
            if (stopping_) break;
            seen_wake = wake_seq_;
        }
        std::optional<Job> job;
        bool store_ok = true;
        bool queued = true;
        try {
            // A read first: an idle runner polling the queue takes no write lock.
            queued = store_->has_queued(opts_.only_job_ids);
            if (queued)
                job = store_->claim_next(owner_, opts_.max_concurrent_jobs, opts_.only_job_ids);
        } catch (const std::exception& e) {
            store_ok = false;
            std::lock_guard lock(mu_);
            store_error_ = e.what();
        }
        if (job) {
            execute(std::move(*job));
            refresh_from_store();  // the counts the UI shows change now, not at the next poll
            continue;
        }
        if (store_ok && !queued && opts_.stop_when_queue_empty) break;
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, std::chrono::duration<double>(opts_.poll_interval_seconds),
                     [&] { return stopping_ || wake_seq_ != seen_wake; });
    }
    {
        std::lock_guard lock(mu_);
        --workers_alive_;
    }
    workers_done_.notify_all();
}

namespace {
// Replaces each stored copy's path (<dir>/<stored name>) in a message with the file's original
// name. Longer paths first, so that "a/b.csv" is not half-replaced by "a".
std::string with_original_names(std::string msg, const std::vector<JobFile>& files,
                                const std::string& dir) {
    std::vector<std::pair<std::string, std::string>> names;
    for (const auto& f : files)
        if (f.accepted())
            names.emplace_back((fs::path(dir) / f.stored_name).string(), f.original_name);
    std::sort(names.begin(), names.end(),
              [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
    for (const auto& [stored, original] : names)
        for (auto at = msg.find(stored); at != std::string::npos;
             at = msg.find(stored, at + original.size()))
            msg.replace(at, stored.size(), original);
    return msg;
}
}  // namespace

std::vector<JobFile> JobRunner::verify_stored_files(const Job& job, const std::string& dir,
                                                    std::string& problem) const {
    std::vector<JobFile> files = job.files;
    std::size_t present = 0, expected = 0;
    for (auto& f : files) {
        if (!f.accepted()) continue;
        ++expected;
        std::error_code ec;
        fs::path p = fs::path(dir) / f.stored_name;
        auto size = fs::file_size(p, ec);
        if (ec) {
            f.error = "the stored copy is missing (" + p.string() + ")";
        } else if (size != f.size_bytes) {
            f.error = "the stored copy has " + std::to_string(size) + " bytes, expected " +
                      std::to_string(f.size_bytes);
        } else {
            ++present;
        }
    }
    if (expected == 0)
        problem = "the job has no accepted files";
    else if (present == 0)
        problem = "the uploaded files of this job are missing from " + dir;
    return files;
}

void JobRunner::execute(Job job) {
    auto run = std::make_shared<Run>();
    run->job = std::move(job);
    const std::string id = run->job.id;
    run->live.id = id;
    run->live.started = run->job.started;
    run->live.attempts = run->job.attempts;
    run->live.stage = "copy";
    run->live.files =
        static_cast<std::size_t>(std::count_if(run->job.files.begin(), run->job.files.end(),
                                               [](const JobFile& f) { return f.accepted(); }));
    {
        std::lock_guard lock(mu_);
        runs_[id] = run;
        // Stopping already: the job goes straight back to the queue.
        if (stopping_) {
            run->reason = Run::Reason::Shutdown;
            run->cancel = true;
        }
    }
    changed(true);
    refresh_from_store();  // the counts the UI shows include this run now

    std::string dir =
        opts_.upload_dir.empty() ? std::string() : (fs::path(opts_.upload_dir) / id).string();
    JobEnd end;
    bool ok = false;
    std::string failure;
    try {
        Progress copy;
        copy.stage = "copy";
        copy.message = "checking " + std::to_string(run->live.files) + " stored file(s)";
        on_progress(*run, copy);
        if (!dir.empty()) {
            std::string problem;
            run->job.files = verify_stored_files(run->job, dir, problem);
            if (!problem.empty()) throw std::runtime_error(problem);
        }
        throw_if_cancelled(&run->cancel);
        JobContext ctx{run->job, dir, [this, run](const Progress& p) { on_progress(*run, p); },
                       &run->cancel, [this, run](const std::string& m) { add_log(*run, m); }};
        JobOutcome out = fn_(ctx);
        ok = true;
        end.status = JobStatus::Completed;
        end.details = out.details;
        end.model_version = out.model_version;
        end.metrics = out.metrics;
        end.result = out.result;
        end.files = run->job.files;
        for (const auto& r : out.file_reports) {
            auto match = std::find_if(end.files.begin(), end.files.end(), [&](const JobFile& f) {
                return f.accepted() && norm(fs::path(dir) / f.stored_name) == norm(r.path);
            });
            if (match == end.files.end()) {
                JobFile extra;
                extra.original_name = fs::path(r.path).lexically_relative(dir).generic_string();
                if (extra.original_name.empty()) extra.original_name = r.path;
                extra.size_bytes = r.size_bytes;
                end.files.push_back(extra);
                match = std::prev(end.files.end());
            }
            apply_report(*match, r);
        }
        end.log_message = "completed" + (out.details.empty() ? "" : ": " + out.details);
    } catch (const Cancelled&) {
        failure = "cancelled";
    } catch (const std::exception& e) {
        failure = e.what();
        if (failure.empty()) failure = "unknown error";
        // The job read its files from the upload folder; the user knows them by their names.
        if (!dir.empty()) failure = with_original_names(failure, run->job.files, dir);
    }

    Run::Reason reason;
    {
        std::lock_guard lock(mu_);
        reason = run->reason;
    }
    bool requeue = false;
    if (!ok) {
        end.files = run->job.files;
        // A run stopped on purpose ends by why it was stopped, whatever the job function
        // threw on its way out.
        bool stopped = run->cancel.load() && reason != Run::Reason::None;
        if (stopped && reason == Run::Reason::Timeout) {
            end.status = JobStatus::Failed;
            end.error = "timed out after " + whole_seconds(opts_.job_timeout_seconds) + " s";
        } else if (stopped && reason == Run::Reason::Shutdown) {
            StopMode mode;
            {
                std::lock_guard lock(mu_);
                mode = stop_mode_;
            }
            if (mode == StopMode::Requeue) {
                requeue = true;
            } else {
                end.status = JobStatus::Cancelled;
                end.details = "Cancelled: the program was closing";
            }
        } else if (stopped && reason == Run::Reason::User) {
            end.status = JobStatus::Cancelled;
            end.details = "Cancelled at stage " + run->live.stage;
        } else if (failure == "cancelled" && reason == Run::Reason::None) {
            // The flag was set without a reason recorded (cannot happen through the runner's
            // API; a job function set it itself). Report it as a cancellation.
            end.status = JobStatus::Cancelled;
            end.details = "Cancelled";
        } else {
            end.status = JobStatus::Failed;
            end.error = failure;
        }
        if (end.status == JobStatus::Failed) {
            end.details = "Failed at stage " + run->live.stage + ": " + end.error;
            end.log_message = "failed: " + end.error;
        } else if (end.status == JobStatus::Cancelled) {
            end.log_message = "cancelled at stage " + run->live.stage + " (" +
                              whole_seconds(seconds_since(run->start)) + " s after start)";
        }
    }

    flush(*run);
    try {
        if (reason == Run::Reason::Lost) {
            // Another process declared this run dead and took the job over; its state is
            // theirs now.
        } else if (requeue) {
            store_->requeue_after_shutdown(id, owner_, "the program was closing");
        } else if (!store_->finish(id, owner_, end)) {
            std::lock_guard lock(mu_);
            store_error_ = "job " + id + " was taken over by another process before it ended";
        }
    } catch (const std::exception& e) {
        std::lock_guard lock(mu_);
        store_error_ = e.what();
    }
    {
        std::lock_guard lock(mu_);
        runs_.erase(id);
        finished_.push_back(id);
    }
    try {
        apply_retention();
    } catch (const std::exception& e) {
        std::lock_guard lock(mu_);
        store_error_ = e.what();
    }
    changed(true);
    notify();
}

void JobRunner::add_log(Run& run, const std::string& message) {
    {
        std::lock_guard lock(mu_);
        if (run.log_lines < opts_.max_log_lines_per_job) {
            LogLine line{format_iso8601_utc(now_epoch_ms()), display_text(message)};
            run.pending_lines.push_back(line);
            run.live.log_tail.push_back(std::move(line));
            if (run.live.log_tail.size() > opts_.log_tail_lines)
                run.live.log_tail.erase(run.live.log_tail.begin());
        } else if (run.log_lines == opts_.max_log_lines_per_job) {
            run.pending_lines.push_back(
                {format_iso8601_utc(now_epoch_ms()), "(more log lines were dropped)"});
        }
        ++run.log_lines;
        run.dirty = true;
    }
    changed();
}

void JobRunner::on_progress(Run& run, const Progress& p) {
    std::vector<std::string> lines;
    {
        std::lock_guard lock(mu_);
        auto& live = run.live;
        double elapsed = seconds_since(run.start);
        double fraction =
            std::isfinite(p.fraction) ? std::clamp(p.fraction, 0.0, 1.0) : live.progress;
        if (!p.stage.empty() && p.stage != live.stage) lines.push_back("stage " + p.stage);
        if (!p.stage.empty()) live.stage = p.stage;
        live.progress = fraction;
        if (p.eta_seconds >= 0) {
            live.eta_seconds = p.eta_seconds;
        } else if (fraction >= 0.02 && elapsed >= 2) {
            // No estimate from the stage: assume the rest goes as fast as the part done.
            live.eta_seconds = elapsed * (1 - fraction) / fraction;
        } else {
            live.eta_seconds = -1;
        }
        // A NaN value (a diverging loss) is kept as a point with no value.
        bool has_metric = std::isnan(p.metric) || p.metric >= 0;
        if (has_metric) {
            bool new_series = p.metric_name != live.metric_name;
            double step =
                1.0 / static_cast<double>(std::max<std::size_t>(opts_.max_curve_points, 1));
            if (new_series || run.last_point_fraction < 0 ||
                fraction - run.last_point_fraction >= step) {
                CurvePoint pt{fraction, p.metric, p.metric_name};
                run.pending_points.push_back(pt);
                live.curve.push_back(pt);
                live.metric_name = p.metric_name;
                run.last_point_fraction = fraction;
                // Thin the in-memory curve (every other point) so the UI copy stays small.
                if (live.curve.size() > opts_.max_curve_points) {
                    std::vector<CurvePoint> thin;
                    for (std::size_t i = 0; i < live.curve.size(); i += 2)
                        thin.push_back(live.curve[i]);
                    if (thin.back().fraction != live.curve.back().fraction)
                        thin.push_back(live.curve.back());
                    live.curve = std::move(thin);
                }
            }
        }
        if (!p.message.empty() && p.message != run.last_message) {
            run.last_message = p.message;
            lines.push_back(p.message);
        }
        run.dirty = true;
        ++version_;
    }
    for (const auto& l : lines) add_log(run, l);
    if (lines.empty()) changed();
}

void JobRunner::flush(Run& run) {
    std::lock_guard order(run.flush_mu);
    ProgressWrite w;
    bool dirty;
    {
        std::lock_guard lock(mu_);
        dirty = run.dirty;
        w.stage = run.live.stage;
        w.progress = run.live.progress;
        w.eta_seconds = run.live.eta_seconds;
        w.new_points = std::move(run.pending_points);
        w.new_lines = std::move(run.pending_lines);
        run.pending_points.clear();
        run.pending_lines.clear();
        run.dirty = false;
    }
    std::optional<bool> cancel;
    try {
        if (dirty)
            cancel = store_->write_progress(run.job.id, owner_, w);
        else
            cancel = store_->cancel_requested(run.job.id);
    } catch (const std::exception& e) {
        std::lock_guard lock(mu_);
        store_error_ = e.what();
        // Keep what was not written for the next try.
        run.pending_points.insert(run.pending_points.begin(), w.new_points.begin(),
                                  w.new_points.end());
        run.pending_lines.insert(run.pending_lines.begin(), w.new_lines.begin(), w.new_lines.end());
        run.dirty = true;
        return;
    }
    bool notify_ui = false;
    {
        std::lock_guard lock(mu_);
        if (!cancel) {
            if (run.reason == Run::Reason::None) run.reason = Run::Reason::Lost;
            run.cancel = true;
        } else if (*cancel && run.reason == Run::Reason::None) {
            run.reason = Run::Reason::User;
            run.cancel = true;
            run.live.cancel_requested = true;
            notify_ui = true;
        }
    }
    if (notify_ui) add_log(run, "cancel request received; stopping");
}

// ---- monitor ----

void JobRunner::refresh_from_store() {
    std::int64_t dv;
    std::uint64_t lc;
    JobCounts counts;
    std::vector<Job> running;
    try {
        dv = store_->data_version();
        lc = store_->local_changes();
        {
            std::lock_guard lock(mu_);
            if (seen_data_version_ == dv && seen_local_changes_ == lc && refreshed_once_) return;
        }
        counts = store_->counts();
        running = store_->running(static_cast<int>(opts_.log_tail_lines));
    } catch (const std::exception& e) {
        std::lock_guard lock(mu_);
        store_error_ = e.what();
        return;
    }
    {
        std::lock_guard lock(mu_);
        seen_data_version_ = dv;
        seen_local_changes_ = lc;
        refreshed_once_ = true;
        queued_ = counts.queued;
        running_ = counts.running;
        foreign_.clear();
        for (auto& j : running) {
            if (runs_.count(j.id)) continue;
            LiveJob l;
            l.id = j.id;
            l.stage = j.stage;
            l.progress = j.progress;
            l.eta_seconds = j.eta_seconds;
            l.started = j.started;
            l.attempts = j.attempts;
            l.files = static_cast<std::size_t>(std::count_if(
                j.files.begin(), j.files.end(), [](const JobFile& f) { return f.accepted(); }));
            l.cancel_requested = j.cancel_requested;
            l.local = false;
            if (!j.curve.empty()) l.metric_name = j.curve.back().metric;
            l.curve = std::move(j.curve);
            l.log_tail = std::move(j.log);
            foreign_.push_back(std::move(l));
        }
    }
    changed(true);
    notify();  // jobs queued by another process
}

void JobRunner::monitor_loop() {
    auto next_poll = Clock::now();
    auto next_recovery =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(opts_.recovery_interval_seconds));
    const auto tick = std::chrono::duration<double>(opts_.store_write_interval_seconds);
    for (;;) {
        std::vector<std::shared_ptr<Run>> runs;
        {
            std::unique_lock lock(mu_);
            cv_.wait_for(lock, tick, [&] { return monitor_stop_; });
            if (monitor_stop_) break;
            for (auto& [id, run] : runs_) runs.push_back(run);
            // Time limit.
            if (opts_.job_timeout_seconds > 0) {
                for (auto& run : runs) {
                    if (run->reason == Run::Reason::None &&
                        seconds_since(run->start) > opts_.job_timeout_seconds) {
                        run->reason = Run::Reason::Timeout;
                        run->cancel = true;
                        run->pending_lines.push_back(
                            {format_iso8601_utc(now_epoch_ms()),
                             "time limit of " + whole_seconds(opts_.job_timeout_seconds) +
                                 " s reached (HTC_JOB_TIMEOUT); stopping"});
                        run->dirty = true;
                    }
                }
            }
        }
        for (auto& run : runs) flush(*run);
        auto now = Clock::now();
        if (now >= next_poll) {
            refresh_from_store();
            next_poll = now + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(opts_.poll_interval_seconds));
        }
        if (now >= next_recovery) {
            try {
                std::vector<std::string> ids;
                for (auto& run : runs) ids.push_back(run->job.id);
                store_->heartbeat(ids, owner_);
                if (!store_->recover_dead_owners().empty()) {
                    changed(true);
                    notify();
                }
            } catch (const std::exception& e) {
                std::lock_guard lock(mu_);
                store_error_ = e.what();
            }
            next_recovery =
                now + std::chrono::duration_cast<Clock::duration>(
                          std::chrono::duration<double>(opts_.recovery_interval_seconds));
        }
    }
}

}  // namespace htc::jobs
