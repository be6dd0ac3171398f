#pragma once
// The job store: one SQLite database (<log dir>/jobs.sqlite3) in WAL mode shared by every
// process that uses the data folder (GUI, CLI workers). Every change is one transaction, so a
// crash (kill -9) at any moment leaves either the old or the new state. Writers take the lock
// up front (BEGIN IMMEDIATE) so two processes never both claim a job.
//
// Tables (schema version in PRAGMA user_version, migrated on open):
//   jobs       one row per job (status, times, stage/progress/eta, parameters, result, owner)
//   job_files  uploaded files with their per-file outcome
//   job_curve  live training curve points
//   job_log    timestamped log lines
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "jobs/config.h"
#include "jobs/job.h"

struct sqlite3;

namespace htc::jobs {

// The store cannot be opened or written (damaged file, newer schema, disk full ...). The
// message names the database file.
struct StoreError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct HistoryQuery {
    std::vector<JobStatus> statuses;  // empty = all
    std::string search;  // id prefix, or text in details, error or file names (case-insensitive)
    std::int64_t limit = 50;  // < 0 = no limit
    std::int64_t offset = 0;
};

struct HistoryPage {
    std::vector<Job> jobs;   // newest first by created time; with files, without curve and log
    std::int64_t total = 0;  // matching jobs in all pages
};

struct JobCounts {
    std::int64_t queued = 0, running = 0, completed = 0, failed = 0, cancelled = 0, interrupted = 0;
    std::int64_t total() const {
        return queued + running + completed + failed + cancelled + interrupted;
    }
};

// How a run ended, written by JobStore::finish.
struct JobEnd {
    JobStatus status = JobStatus::Completed;
    std::string details;
    std::string error;
    int model_version = 0;
    nlohmann::json metrics;
    nlohmann::json result;
    std::vector<JobFile> files;  // replaces the job's file list when not empty
    std::string log_message;
};

// Live state written while a job runs (throttled by the runner).
struct ProgressWrite {
    std::string stage;
    double progress = 0;
    double eta_seconds = -1;
    std::vector<CurvePoint> new_points;  // appended to the curve
    std::vector<LogLine> new_lines;      // appended to the log
};

enum class CancelOutcome {
    NotFound,
    CancelledQueued,  // it had not started: now cancelled
    Requested,        // running: its runner stops it at the next check
    AlreadyRequested,
    AlreadyFinished,
};

// A job found running with a dead owner, and what was done with it.
struct Recovered {
    std::string id;
    JobOwner owner;
    JobStatus now;  // Queued (requeued) or Failed (attempts used up)
};

// Whether the owner of a running job is alive. `heartbeat_ms` is the owner's last sign of
// life (used when the owner is on another host and cannot be checked directly).
using OwnerAlive = std::function<bool(const JobOwner&, std::int64_t heartbeat_ms)>;

class JobStore {
  public:
    static constexpr int kSchemaVersion = 1;
    // A crash-interrupted job is requeued while attempts < this, then it fails.
    static constexpr int kMaxAttempts = 2;

    // Opens (creating the folder and database when needed) and migrates. Throws StoreError.
    explicit JobStore(std::string path);
    ~JobStore();
    JobStore(const JobStore&) = delete;
    JobStore& operator=(const JobStore&) = delete;
    const std::string& path() const { return path_; }

    // ---- writing ----
    // Adds a new job with its files (status as given, normally queued). Throws StoreError.
    void insert(const Job& job);
    // Adds an imported record unless its id exists. Returns false when it existed.
    bool insert_if_absent(const Job& job);
    // The same for many records in one transaction (an import of a large history would
    // otherwise pay one synchronous commit per record). Returns, per record, whether it was
    // added.
    std::vector<bool> insert_many_if_absent(const std::vector<Job>& jobs);
    void append_log(const std::string& id, const std::string& message);

    // Atomically takes the oldest queued job (optionally only among `only_ids`) for `me` when
    // fewer than `max_running` jobs run in all processes (0 = no limit). Marks it running,
    // counts an attempt and clears the previous attempt's curve.
    std::optional<Job> claim_next(const JobOwner& me, int max_running,
                                  const std::vector<std::string>& only_ids = {});
    // Live state of a job `me` runs. Returns whether a cancel was requested (by any process);
    // returns nullopt when the job is no longer running under `me`.
    std::optional<bool> write_progress(const std::string& id, const JobOwner& me,
                                       const ProgressWrite& w);
    // Marks that `me` is alive for the jobs it runs.
    void heartbeat(const std::vector<std::string>& ids, const JobOwner& me);
    // Ends a run of `me`. Returns false (and changes nothing) when the job is no longer
    // running under `me` (for example another process declared it interrupted).
    bool finish(const std::string& id, const JobOwner& me, const JobEnd& end);
    // Graceful shutdown: the run is interrupted and the job queued again; the stopped run
    // does not count as an attempt.
    bool requeue_after_shutdown(const std::string& id, const JobOwner& me,
                                const std::string& reason);

    CancelOutcome request_cancel(const std::string& id);
    // Running jobs whose owner is dead are marked interrupted (finish time, log line), then
    // requeued while attempts < kMaxAttempts, else failed.
    std::vector<Recovered> recover_dead_owners(const OwnerAlive& alive);
    std::vector<Recovered> recover_dead_owners();  // with owner_is_alive()
    // Deletes finished jobs beyond the retention (never queued or running ones). Returns the
    // deleted ids (their upload folders are the caller's to remove).
    std::vector<std::string> apply_retention(const Retention& r, std::int64_t now_ms);

    // ---- reading ----
    std::optional<Job> get(const std::string& id, bool with_curve_and_log = true) const;
    // Ids starting with `prefix` (at most `limit`).
    std::vector<std::string> ids_with_prefix(const std::string& prefix, int limit = 2) const;
    HistoryPage history(const HistoryQuery& q) const;
    JobCounts counts() const;
    // Running jobs with their curve and the newest `log_tail` log lines (all when < 0).
    std::vector<Job> running(int log_tail = 50) const;
    // Whether a queued job exists (among `only_ids` when given).
    bool has_queued(const std::vector<std::string>& only_ids = {}) const;
    bool cancel_requested(const std::string& id) const;
    bool exists(const std::string& id) const;

    // Changes: data_version() moves when another connection (process) committed;
    // local_changes() counts this object's own commits.
    std::int64_t data_version() const;
    std::uint64_t local_changes() const { return local_changes_.load(); }
    // PRAGMA integrity_check; "ok" when intact.
    std::string integrity_check() const;

  private:
    void open();
    void migrate();
    Job read_job_row(void* stmt) const;
    void load_files(Job& job) const;
    void load_curve_and_log(Job& job, int log_tail = -1) const;
    void insert_locked(const Job& job);
    void log_locked(const std::string& id, const std::string& message, std::int64_t now_ms);

    std::string path_;
    sqlite3* db_ = nullptr;
    mutable std::mutex mu_;
    std::atomic<std::uint64_t> local_changes_{0};
};

// This process as a job owner.
JobOwner current_owner();
// Same host: the pid exists and started at the recorded time (a reused pid has another start
// time). Other host: alive while its heartbeat is recent (2 minutes).
bool owner_is_alive(const JobOwner& owner, std::int64_t heartbeat_ms);
// Start time of a process in clock ticks since boot (/proc/<pid>/stat field 22); 0 if unknown.
std::int64_t process_start_ticks(std::int64_t pid);

}  // namespace htc::jobs
