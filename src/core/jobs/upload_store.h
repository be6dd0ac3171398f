#pragma once
// Uploaded feedback files: <upload dir>/<job id>/<safe name>, and for a folder
// <upload dir>/<job id>/<safe folder name>/<sub path>/<file> (the sub path is the label path of
// files that carry no label, so it is kept as it was). Files are written to a temporary name,
// fsynced and renamed in, so a crash never leaves half a file under a real name. The name a
// user gave is display data only; the stored name is derived from it and always stays inside
// the job's folder.
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/job.h"

namespace htc::jobs {

// The upload folder could not be written (disk full, quota, read-only ...).
struct UploadError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A file name safe to create inside a folder on Linux, macOS and Windows, derived from an
// untrusted name (a dropped path, a browser upload name ...): the last component after '/' or
// '\' (so `../../etc/passwd` -> `passwd`, `C:\Windows\win.ini` -> `win.ini`), reserved and
// control characters as '_', no leading dots (no hidden files, never `..`), no trailing dots or
// spaces, Windows device names prefixed, invalid UTF-8 bytes as '_', at most 180 bytes with the
// extension kept. Never empty ("upload" when nothing is left).
std::string safe_file_name(std::string_view untrusted);

// Lower-case extension with the dot ("Data.CSV" -> ".csv"), "" when none.
std::string extension_of(std::string_view name);

// Something to upload: a file or a folder, and optionally the name the user knows it by
// (default: the last component of `path`).
struct UploadSource {
    std::string path;
    std::string name;
};

// One file of a planned upload. Rejected items keep their reason and are never copied.
struct UploadItem {
    std::string source;      // where it is read from
    std::string display;     // original name (folder files: folder/sub/path/file.csv)
    std::string stored_rel;  // path under <upload dir>/<job id>/ ("" when rejected)
    std::uint64_t size = 0;
    std::string rejected;  // reason, "" when accepted
};

struct UploadPlan {
    std::vector<UploadItem> items;
    // Top-level entries under the job folder that the pipeline reads (files and folder roots).
    std::vector<std::string> inputs;
    std::size_t accepted() const;
    std::uint64_t accepted_bytes() const;
    // Accepted and rejected files as job records (rejected ones carry their reason in error).
    std::vector<JobFile> job_files() const;
};

class UploadStore {
  public:
    UploadStore(std::string root, std::vector<std::string> allowed_extensions,
                std::uint64_t max_file_size);
    const std::string& root() const { return root_; }
    std::string job_dir(const std::string& job_id) const;

    // Expands folders (recursively, allowed types only; hidden files and other types are
    // listed as rejected with the reason), checks type and size, and assigns unique stored
    // names. Reads no file contents and writes nothing.
    UploadPlan plan(const std::vector<UploadSource>& sources) const;
    UploadPlan plan(const std::vector<std::string>& paths) const;

    // Copies the accepted items of `plan` into the job's folder. An item that cannot be copied
    // (vanished, unreadable, grew past the limit) becomes rejected with the reason; the
    // others are copied. When the upload folder itself cannot be written (disk full, quota,
    // read-only, I/O error) the whole copy stops: the job's folder is removed and UploadError
    // is thrown with the reason, so a job never runs on the part that happened to fit.
    // `progress` gets (bytes copied, bytes total).
    using CopyProgress = std::function<void(std::uint64_t, std::uint64_t)>;
    void copy(const std::string& job_id, UploadPlan& plan, const CopyProgress& progress = {}) const;

    // Removes a job's folder (retention, or a submit that was not queued).
    void remove_job(const std::string& job_id) const;
    // copy() leaves a ".pending" marker in the job's folder until the job is in the store;
    // this removes it (call it after inserting the job).
    void mark_queued(const std::string& job_id) const;
    // Job folders still marked pending, older than `min_age_seconds` and unknown to the store
    // (left by a crash between copying and queueing) are removed; returns how many. Folders
    // without the marker are never touched, whoever they belong to.
    std::size_t remove_orphans(const std::function<bool(const std::string&)>& job_exists,
                               double min_age_seconds) const;

  private:
    std::string root_;
    std::vector<std::string> allowed_;
    std::uint64_t max_size_;
};

}  // namespace htc::jobs
