#pragma once
// Scheduled retraining, off by default, settings in <data>/schedule.json:
//  - a watched folder: feedback files that land there queue one retrain job, debounced (a
//    batch copied together becomes one job once nothing in the folder changed for a while);
//  - a daily time: once a day at or after that local time, a job retrains with the pending
//    corrections when there are any;
//  - Auto Sync: a job with the corrections once N of them are pending.
// The Scheduler holds no thread: a front end calls tick() every few seconds (the window on a
// timer thread, `htc-trainer worker --follow` in its loop).
#include <cstdint>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "jobs/job_store.h"
#include "jobs/upload_store.h"
#include "pipeline.h"

namespace htc::jobs {

struct ScheduleSettings {
    bool watch_enabled = false;
    std::string watch_folder;
    double debounce_seconds = 10;
    bool daily_enabled = false;
    std::string daily_time = "02:00";  // local HH:MM
    bool auto_sync = false;
    int auto_sync_after = 20;    // pending corrections that queue a job
    std::string last_daily_run;  // local date of the last daily check (YYYY-MM-DD)
    nlohmann::json to_json() const;
    static ScheduleSettings from_json(const nlohmann::json& j);
};

std::string schedule_path(const std::string& data_dir);
// Defaults when the file is absent; throws std::runtime_error naming it when it is damaged.
ScheduleSettings load_schedule(const std::string& data_dir);
void save_schedule(const std::string& data_dir, const ScheduleSettings& s);
// "02:00" -> minutes after midnight; -1 when malformed.
int parse_daily_time(const std::string& hhmm);

// Polls a folder for new feedback files. Files already there when the folder is first watched
// are the baseline and never queue anything. A file (path, size, modification time) is handed
// out once; a file rewritten later with other contents counts as new. What was handed out is
// kept in `state_file`, so a restart does not queue the same files again.
class FolderWatcher {
  public:
    FolderWatcher(std::string folder, std::string state_file, std::vector<std::string> extensions,
                  double debounce_seconds);
    // `now` in seconds on any steady clock. Returns the files to queue (sorted), or none while
    // something in the folder changed less than debounce_seconds ago.
    std::vector<std::string> poll(double now);
    const std::string& folder() const { return folder_; }

  private:
    struct Seen {
        std::uint64_t size = 0;
        std::int64_t mtime = 0;
    };
    void load_state();
    void save_state() const;
    std::string folder_, state_file_;
    std::vector<std::string> exts_;
    double debounce_;
    bool have_state_ = false;
    std::map<std::string, std::string> handed_;  // path -> "size:mtime"
    std::map<std::string, Seen> last_;           // the previous poll's view
    double last_change_ = -1;
};

// What tick() did, for a toast or a log line.
struct ScheduleEvent {
    std::string kind;  // "watch", "daily", "error"
    std::string job_id;
    std::string message;
};

class Scheduler {
  public:
    // `options` are the training options of the jobs it queues.
    Scheduler(std::string data_dir, JobStore& store, const UploadStore& uploads,
              RetrainOptions options = {});
    // Re-reads schedule.json (cheap) and acts on it. `now` steady seconds, `wall` time now.
    std::vector<ScheduleEvent> tick(double now, std::time_t wall);

  private:
    std::string data_dir_;
    JobStore& store_;
    const UploadStore& uploads_;
    RetrainOptions options_;
    std::unique_ptr<FolderWatcher> watcher_;
    std::string watcher_key_;
};

}  // namespace htc::jobs
