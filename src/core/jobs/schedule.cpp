#include "jobs/schedule.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "feedback/corrections_job.h"
#include "jobs/retrain_job.h"
#include "model/registry.h"

namespace fs = std::filesystem;

namespace htc::jobs {

nlohmann::json ScheduleSettings::to_json() const {
    return {{"watch_enabled", watch_enabled},
            {"watch_folder", watch_folder},
            {"debounce_seconds", debounce_seconds},
            {"daily_enabled", daily_enabled},
            {"daily_time", daily_time},
            {"auto_sync", auto_sync},
            {"auto_sync_after", auto_sync_after},
            {"last_daily_run", last_daily_run}};
}

ScheduleSettings ScheduleSettings::from_json(const nlohmann::json& j) {
    ScheduleSettings s;
    s.watch_enabled = j.value("watch_enabled", false);
    s.watch_folder = j.value("watch_folder", "");
    s.debounce_seconds = std::max(0.0, j.value("debounce_seconds", 10.0));
    s.daily_enabled = j.value("daily_enabled", false);
    s.daily_time = j.value("daily_time", "02:00");
    s.auto_sync = j.value("auto_sync", false);
    s.auto_sync_after = std::max(1, j.value("auto_sync_after", 20));
    s.last_daily_run = j.value("last_daily_run", "");
    return s;
}

std::string schedule_path(const std::string& data_dir) {
    return (fs::path(data_dir) / "schedule.json").string();
}

ScheduleSettings load_schedule(const std::string& data_dir) {
    std::string path = schedule_path(data_dir);
    std::ifstream in(path);
    if (!in) return {};
    try {
        return ScheduleSettings::from_json(nlohmann::json::parse(in));
    } catch (const std::exception& e) {
        throw std::runtime_error(path + ": damaged schedule settings: " + e.what());
    }
}

void save_schedule(const std::string& data_dir, const ScheduleSettings& s) {
    fs::create_directories(data_dir);
    write_file_atomic(schedule_path(data_dir), s.to_json().dump(2) + "\n");
}

int parse_daily_time(const std::string& t) {
    int h = -1, m = -1;
    char extra = 0;
    if (std::sscanf(t.c_str(), "%d:%d%c", &h, &m, &extra) != 2) return -1;
    if (h < 0 || h > 23 || m < 0 || m > 59) return -1;
    return h * 60 + m;
}

// ---- FolderWatcher ----

FolderWatcher::FolderWatcher(std::string folder, std::string state_file,
                             std::vector<std::string> extensions, double debounce_seconds)
    : folder_(std::move(folder)),
      state_file_(std::move(state_file)),
      exts_(std::move(extensions)),
      debounce_(debounce_seconds) {
    load_state();
}

void FolderWatcher::load_state() {
    std::ifstream in(state_file_);
    if (!in) return;
    try {
        auto j = nlohmann::json::parse(in);
        if (j.value("folder", "") != folder_) return;  // another folder: a new baseline
        handed_ = j.value("handed_out", std::map<std::string, std::string>{});
        have_state_ = true;
    } catch (const std::exception&) {
        // A damaged state file only means a new baseline.
    }
}

void FolderWatcher::save_state() const {
    nlohmann::json j = {{"folder", folder_}, {"handed_out", handed_}};
    fs::create_directories(fs::path(state_file_).parent_path());
    write_file_atomic(state_file_, j.dump(1) + "\n");
}

std::vector<std::string> FolderWatcher::poll(double now) {
    std::map<std::string, Seen> current;
    std::error_code ec;
    if (!fs::is_directory(folder_, ec)) return {};
    for (auto it = fs::recursive_directory_iterator(
             folder_, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const auto& p = it->path();
        std::string name = p.filename().string();
        if (name.empty() || name[0] == '.' || name[0] == '~') {
            if (it->is_directory(ec)) it.disable_recursion_pending();
            continue;
        }
        if (!it->is_regular_file(ec)) continue;
        std::string ext = extension_of(name);
        if (std::find(exts_.begin(), exts_.end(), ext) == exts_.end()) continue;
        Seen s;
        s.size = it->file_size(ec);
        auto mt = it->last_write_time(ec);
        s.mtime = static_cast<std::int64_t>(mt.time_since_epoch().count());
        current[p.string()] = s;
    }
    auto key = [](const Seen& s) { return std::to_string(s.size) + ":" + std::to_string(s.mtime); };
    if (!have_state_) {
        // First look at this folder: what is there now is the baseline.
        for (const auto& [path, s] : current) handed_[path] = key(s);
        have_state_ = true;
        last_ = current;
        save_state();
        return {};
    }
    bool changed = current.size() != last_.size();
    if (!changed) {
        for (const auto& [path, s] : current) {
            auto it = last_.find(path);
            if (it == last_.end() || it->second.size != s.size || it->second.mtime != s.mtime) {
                changed = true;
                break;
            }
        }
    }
    last_ = current;
    if (changed || last_change_ < 0) last_change_ = now;
    std::vector<std::string> fresh;
    for (const auto& [path, s] : current) {
        auto it = handed_.find(path);
        if (it == handed_.end() || it->second != key(s)) fresh.push_back(path);
    }
    if (fresh.empty() || now - last_change_ < debounce_) return {};
    for (const auto& p : fresh) handed_[p] = key(current[p]);
    save_state();
    return fresh;
}

// ---- Scheduler ----

Scheduler::Scheduler(std::string data_dir, JobStore& store, const UploadStore& uploads,
                     RetrainOptions options)
    : data_dir_(std::move(data_dir)),
      store_(store),
      uploads_(uploads),
      options_(std::move(options)) {}

std::vector<ScheduleEvent> Scheduler::tick(double now, std::time_t wall) {
    std::vector<ScheduleEvent> events;
    ScheduleSettings s;
    try {
        s = load_schedule(data_dir_);
    } catch (const std::exception& e) {
        events.push_back({"error", "", e.what()});
        return events;
    }
    // Watched folder.
    if (s.watch_enabled && !s.watch_folder.empty()) {
        std::string key = s.watch_folder + "|" + std::to_string(s.debounce_seconds);
        if (!watcher_ || watcher_key_ != key) {
            watcher_ = std::make_unique<FolderWatcher>(
                s.watch_folder, (fs::path(data_dir_) / "watch-state.json").string(),
                supported_extensions(), s.debounce_seconds);
            watcher_key_ = key;
        }
        try {
            auto files = watcher_->poll(now);
            if (!files.empty()) {
                SubmitResult r = submit_job(store_, uploads_, files, options_);
                if (r.queued)
                    events.push_back({"watch", r.job_id,
                                      std::to_string(r.accepted()) +
                                          " new file(s) in the watched folder queued a retrain"});
                else
                    events.push_back({"error", "", "watched folder: " + r.error});
            }
        } catch (const std::exception& e) {
            events.push_back({"error", "", std::string("watched folder: ") + e.what()});
        }
    } else {
        watcher_.reset();
        watcher_key_.clear();
    }
    // Daily time.
    int at = parse_daily_time(s.daily_time);
    if (s.daily_enabled && at >= 0) {
        std::tm local{};
        localtime_r(&wall, &local);
        char today[16];
        std::strftime(today, sizeof today, "%Y-%m-%d", &local);
        int minutes = local.tm_hour * 60 + local.tm_min;
        if (minutes >= at && s.last_daily_run != today) {
            s.last_daily_run = today;
            save_schedule(data_dir_, s);
            try {
                FeedbackStore fb(data_dir_);
                if (fb.pending_count() > 0) {
                    auto c = submit_corrections(fb, store_, uploads_, options_, data_dir_);
                    if (c.submit.queued)
                        events.push_back({"daily", c.submit.job_id,
                                          "daily retrain queued with " +
                                              std::to_string(c.corrections) + " correction(s)"});
                }
            } catch (const std::exception& e) {
                events.push_back({"error", "", std::string("daily retrain: ") + e.what()});
            }
        }
    }
    return events;
}

}  // namespace htc::jobs
