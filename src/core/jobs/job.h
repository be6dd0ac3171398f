#pragma once
// A retrain job as stored in the job store and shown in the history: status, timing, the
// uploaded files with their per-file outcome, parameters, result, live curve and log.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace htc::jobs {

// queued -> running -> completed | failed | cancelled | interrupted
// queued -> cancelled (cancel before it starts)
// running -> interrupted (owner process died, or graceful shutdown) -> queued (requeued once)
enum class JobStatus { Queued, Running, Completed, Failed, Cancelled, Interrupted };

std::string to_string(JobStatus s);                             // "queued", "running", ...
std::optional<JobStatus> parse_job_status(std::string_view s);  // case-insensitive
// No further change will happen to a job in this state.
inline bool is_terminal(JobStatus s) { return s != JobStatus::Queued && s != JobStatus::Running; }

// One uploaded file (or one file found in an uploaded folder).
struct JobFile {
    std::string original_name;  // display only (valid UTF-8; invalid bytes shown as U+FFFD)
    std::string stored_name;    // relative to <upload dir>/<job id>/, "" when rejected
    std::uint64_t size_bytes = 0;
    std::string format;         // reader that parsed it (csv, json, pdf ...), "" before parsing
    std::int64_t records = -1;  // accepted records, -1 = not parsed yet
    std::int64_t labelled = -1;
    std::int64_t skipped = 0;               // records skipped while parsing
    std::vector<std::string> skip_reasons;  // first reasons, "line 12: ..." (capped)
    std::vector<std::string> warnings;
    std::string error;  // rejected at submit (extension, size ...) or refused by the reader
    bool accepted() const { return !stored_name.empty(); }
    nlohmann::json to_json() const;
    static JobFile from_json(const nlohmann::json& j);
};

struct CurvePoint {
    double fraction = 0;  // job progress 0..1 when the value was reported (x axis)
    double value = 0;     // loss or score
    std::string metric;   // "loss", "train accuracy" ...
};

struct LogLine {
    std::string time;  // UTC ISO 8601
    std::string message;
};

// The process that runs a job. A job 'running' whose owner is gone was interrupted.
struct JobOwner {
    std::int64_t pid = 0;
    std::string host;
    std::int64_t start_ticks = 0;  // process start time (field 22 of /proc/<pid>/stat)
    bool empty() const { return pid == 0; }
};

struct Job {
    std::string id;                          // UUID v4
    std::string created, started, finished;  // UTC ISO 8601 with offset, "" when not yet
    JobStatus status = JobStatus::Queued;
    std::string stage;        // copy, parse, sanitize, train, evaluate, register
    double progress = 0;      // 0..1
    double eta_seconds = -1;  // < 0 unknown
    std::string details;      // one line for the history table
    std::vector<JobFile> files;
    nlohmann::json parameters = nlohmann::json::object();  // RetrainOptions::to_json()
    int model_version = 0;                                 // registered version, 0 = none
    nlohmann::json metrics;  // Metrics::to_json() of the new model, null when none
    nlohmann::json result;   // RetrainResult::to_json() (promotion, data stats), null when none
    std::string error;
    int attempts = 0;  // runs started (a crash-interrupted run counts)
    JobOwner owner;
    bool cancel_requested = false;
    std::string source = "submit";  // submit | import (seed log)
    std::vector<CurvePoint> curve;  // filled by JobStore::get (not by history listings)
    std::vector<LogLine> log;       // filled by JobStore::get (not by history listings)

    // Seconds between started and finished, < 0 when either is missing.
    double duration_seconds() const;

    // Full record. Starts with the seed's keys (job_id, timestamp, status, details), so a reader
    // of the seed format can read it.
    nlohmann::json to_json(bool with_curve_and_log = true) const;
    static Job from_json(const nlohmann::json& j);
    // The seed's RetrainRecord: {job_id, timestamp (= created), status, details}.
    nlohmann::json seed_record() const;
};

// ---- ids and time ----

// Random UUID version 4 from the kernel's random source (getrandom / /dev/urandom).
std::string new_job_id();
bool looks_like_job_id(std::string_view s);  // 1..64 chars of [A-Za-z0-9_.-]

std::int64_t now_epoch_ms();
// 1764787677123 -> "2025-12-03T18:47:57.123+00:00" (the same format as htc::now_iso8601_utc).
std::string format_iso8601_utc(std::int64_t epoch_ms);
// Accepts ISO 8601 date-times "YYYY-MM-DD[T ]hh:mm[:ss[.fff...]]" with "Z", "+hh:mm", "+hhmm"
// or no offset (then local time, as the seed's datetime.now().isoformat() wrote them).
std::optional<std::int64_t> parse_iso8601(std::string_view s);
// "YYYY-MM-DD" of the local date (history export file names).
std::string local_date_string(std::int64_t epoch_ms);

// Valid UTF-8 for display: invalid bytes become U+FFFD.
std::string display_text(std::string_view s);
// A double for JSON: NaN and infinities become null ("no value"), never an exception.
nlohmann::json json_number(double v);

}  // namespace htc::jobs
