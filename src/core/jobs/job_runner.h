#pragma once
// Runs queued jobs on worker threads and publishes their live state to the UI.
//
// Threads: `max_concurrent_jobs` workers take queued jobs oldest first (the claim is one
// BEGIN IMMEDIATE transaction, so across processes a job never runs twice, and at most
// max_concurrent_jobs jobs run in all processes that share the store). One monitor thread
// writes progress to the store (at most ~5 writes/s per job), polls cancel requests made by
// other processes, enforces the timeout, sends heartbeats, recovers jobs of dead processes and
// notices changes made by other processes (PRAGMA data_version, every ~0.5 s). The UI thread
// only calls snapshot(), which never touches the database.
//
// Endings: completed; failed (error, or "timed out after N s"); cancelled (cancel requested
// before or during the run: never "failed"); interrupted (the process died: requeued once,
// see JobStore::recover_dead_owners). A graceful stop() requeues running jobs by default (they
// run again on the next start, and the stopped run does not count as an attempt);
// StopMode::Cancel ends them as cancelled instead.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ingest/record.h"
#include "jobs/config.h"
#include "jobs/job.h"
#include "jobs/job_store.h"
#include "progress.h"

namespace htc::jobs {

// What a job function gets: the claimed job, where its files are, and the channels back.
struct JobContext {
    const Job& job;
    std::string upload_dir;  // <upload dir>/<job id>
    ProgressFn progress;     // stage, fraction (0..1 of the whole job), eta, metric, message
    const std::atomic<bool>* cancel = nullptr;    // throw htc::Cancelled when it becomes true
    std::function<void(const std::string&)> log;  // a line in the job's log
};

// What a successful run produced.
struct JobOutcome {
    std::string details;  // one line for the history ("v3: 1200 documents, F1 0.91, active")
    int model_version = 0;
    nlohmann::json metrics;
    nlohmann::json result;
    std::vector<FileReport> file_reports;  // per-file outcome; path = stored path
};

// Does the work of one job. Throws htc::Cancelled when *cancel is set, any std::exception
// with a user-facing message on failure. The real one is make_retrain_job_function
// (jobs/retrain_job.h); tests pass their own.
using JobFunction = std::function<JobOutcome(JobContext&)>;

// The live state of a running job.
struct LiveJob {
    std::string id;
    std::string stage;
    double progress = 0;
    double eta_seconds = -1;  // < 0 unknown
    std::string started;      // UTC ISO 8601
    int attempts = 0;
    std::size_t files = 0;  // accepted files
    bool cancel_requested = false;
    bool local = true;        // run by this process (else seen in the store, updated ~1/s)
    std::string metric_name;  // of the last curve point
    std::vector<CurvePoint> curve;
    std::vector<LogLine> log_tail;  // newest last
};

// What the UI draws from. Immutable once published.
struct JobsSnapshot {
    std::uint64_t version = 0;  // increases on every change; copy only when it moved
    // Increases whenever the store changed (this process or another): re-read the history.
    std::uint64_t store_generation = 0;
    std::int64_t queued = 0, running = 0;  // in the whole store (all processes)
    std::vector<LiveJob> live;             // running jobs, oldest first
    std::string store_error;               // last store problem seen by the runner ("" when fine)
};

struct RunnerOptions {
    std::string upload_dir;  // root of the upload store
    int max_concurrent_jobs = 1;
    double job_timeout_seconds = 2 * 3600;  // 0 = none
    Retention retention;
    // Claim only these jobs (`submit --wait` runs its own job, not the whole queue).
    std::vector<std::string> only_job_ids;
    // Workers end once nothing (among only_job_ids) is queued; wait() returns then.
    bool stop_when_queue_empty = false;
    double store_write_interval_seconds = 0.2;  // progress writes per job: at most 5/s
    double poll_interval_seconds = 0.5;         // other processes' changes
    double recovery_interval_seconds = 5;       // dead owners, heartbeats
    std::size_t log_tail_lines = 50;
    std::size_t max_log_lines_per_job = 5000;
    std::size_t max_curve_points = 2000;
};

RunnerOptions runner_options(const JobsConfig& c);

class JobRunner {
  public:
    JobRunner(std::shared_ptr<JobStore> store, RunnerOptions opts, JobFunction fn);
    ~JobRunner();  // stop(StopMode::Requeue)
    JobRunner(const JobRunner&) = delete;
    JobRunner& operator=(const JobRunner&) = delete;

    // Recovers jobs of dead processes, applies retention, then starts the threads.
    void start();
    enum class StopMode { Requeue, Cancel };
    // Stops taking jobs, stops the running ones (requeued or cancelled) and joins the threads.
    void stop(StopMode mode = StopMode::Requeue);
    // Starts stopping without waiting (safe from any thread, not from a signal handler).
    void request_stop(StopMode mode = StopMode::Requeue);
    // Blocks until every worker ended (stop requested, or stop_when_queue_empty and done).
    void wait();
    // Whether every worker ended (see wait()); false before start().
    bool workers_ended() const;

    // Wakes the workers now (after a submit in this process).
    void notify();
    // Cancels a job of any process: queued -> cancelled at once; running here -> its flag is
    // set now; running elsewhere -> that process sees the request within ~0.2 s.
    CancelOutcome cancel(const std::string& id);

    // Cheap, never blocks on disk or on a job: the last published state.
    std::shared_ptr<const JobsSnapshot> snapshot() const;
    // Called (from a runner thread) after every change; the GUI passes glfwPostEmptyEvent.
    void set_wake_callback(std::function<void()> wake);

    // Ids of the jobs this runner finished (any ending), in order.
    std::vector<std::string> finished_jobs() const;
    JobStore& store() { return *store_; }

  private:
    struct Run;
    void worker_loop();
    void monitor_loop();
    void execute(Job job);
    void on_progress(Run& run, const Progress& p);
    void add_log(Run& run, const std::string& message);
    void flush(Run& run);
    void refresh_from_store();
    void changed(bool store_changed = false);
    void apply_retention();
    std::vector<JobFile> verify_stored_files(const Job& job, const std::string& dir,
                                             std::string& problem) const;

    std::shared_ptr<JobStore> store_;
    RunnerOptions opts_;
    JobFunction fn_;
    JobOwner owner_;

    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::map<std::string, std::shared_ptr<Run>> runs_;
    std::vector<LiveJob> foreign_;  // running in other processes
    std::int64_t queued_ = 0, running_ = 0;
    std::string store_error_;
    std::uint64_t version_ = 0, store_generation_ = 0;
    mutable std::shared_ptr<const JobsSnapshot> published_;
    mutable std::uint64_t published_version_ = ~0ull;
    std::vector<std::string> finished_;
    bool stopping_ = false;
    bool monitor_stop_ = false;
    std::uint64_t wake_seq_ = 0;
    std::int64_t seen_data_version_ = -1;
    std::uint64_t seen_local_changes_ = 0;
    bool refreshed_once_ = false;
    StopMode stop_mode_ = StopMode::Requeue;
    int workers_alive_ = 0;
    std::condition_variable workers_done_;

    std::mutex wake_mu_;
    std::function<void()> wake_;

    std::vector<std::thread> workers_;
    std::thread monitor_;
    std::atomic<bool> started_{false};
};

}  // namespace htc::jobs
