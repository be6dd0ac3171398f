#include "app/controller.h"

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <utility>

#include "app/dialog.h"
#include "app/format.h"
#include "ingest/ingest.h"
#include "text/encoding.h"

namespace htc::app {

const char* tab_key(Tab t) {
    switch (t) {
        case Tab::Upload:
            return "upload";
        case Tab::Retrain:
            return "retrain";
        case Tab::History:
            return "history";
        case Tab::Models:
            return "models";
    }
    return "retrain";
}

std::optional<Tab> parse_tab(const std::string& key) {
    for (Tab t : {Tab::Upload, Tab::Retrain, Tab::History, Tab::Models}) {
        if (key == tab_key(t)) return t;
    }
    return std::nullopt;
}

// ---- RetrainEntry ----

bool RetrainEntry::inspected() const { return files_done() == files.size(); }

std::size_t RetrainEntry::files_done() const {
    return static_cast<std::size_t>(
        std::count_if(files.begin(), files.end(), [](const InspectedFile& f) { return f.done; }));
}

std::size_t RetrainEntry::records() const {
    std::size_t n = 0;
    for (const auto& f : files) n += f.done ? f.report.records : 0;
    return n;
}

std::size_t RetrainEntry::labelled() const {
    std::size_t n = 0;
    for (const auto& f : files) n += f.done ? f.report.labelled : 0;
    return n;
}

std::size_t RetrainEntry::skipped() const {
    std::size_t n = 0;
    for (const auto& f : files) n += f.done ? f.report.skipped.size() : 0;
    return n;
}

std::string RetrainEntry::formats() const {
    std::map<std::string, int> counts;
    for (const auto& f : files) {
        if (f.done && !f.report.format.empty()) ++counts[f.report.format];
    }
    std::string s;
    for (const auto& [fmt, n] : counts) {
        if (!s.empty()) s += ", ";
        s += fmt;
        if (is_folder && n > 1) s += " x" + std::to_string(n);
    }
    return s;
}

// Reader messages name their file ("/x/y.csv: line 3: ..."), which the row already shows.
static std::string without_path(const std::string& message, const std::string& path) {
    if (message.compare(0, path.size(), path) == 0 && message.size() > path.size() + 2 &&
        message.compare(path.size(), 2, ": ") == 0) {
        return message.substr(path.size() + 2);
    }
    return message;
}

std::vector<std::string> RetrainEntry::problems() const {
    std::vector<std::string> out;
    for (const auto& f : files) {
        if (!f.done) continue;
        std::string prefix = is_folder ? utf8_replace_invalid(base_name(f.path)) + ": " : "";
        if (!f.report.error.empty()) out.push_back(prefix + without_path(f.report.error, f.path));
        for (const auto& w : f.report.warnings) out.push_back(prefix + without_path(w, f.path));
        if (!f.report.skipped.empty()) {
            const auto& first = f.report.skipped.front();
            std::string line =
                prefix + std::to_string(f.report.skipped.size()) + " record(s) skipped";
            if (first.line > 0) line += "; first at line " + std::to_string(first.line);
            if (!first.reason.empty()) line += ": " + first.reason;
            out.push_back(line);
        }
        if (f.report.ok() && f.report.records > 0 && f.report.labelled == 0) {
            out.push_back(prefix + "no labelled records: nothing to train on");
        }
    }
    if (max_file_size > 0) {
        for (const auto& f : files) {
            if (f.size_bytes > max_file_size) {
                out.push_back((is_folder ? utf8_replace_invalid(base_name(f.path)) + ": " : "") +
                              "larger than the upload limit of " + format_file_size(max_file_size) +
                              " (HTC_MAX_FILE_SIZE)");
            }
        }
    }
    if (unsupported_in_folder > 0) {
        out.push_back(std::to_string(unsupported_in_folder) +
                      " file(s) in the folder skipped: unsupported type");
    }
    return out;
}

// ---- Controller ----

Controller::Controller(std::string data_dir, GuiSettings& settings, RunQueue& ui, Clock clock)
    : data_dir_(std::move(data_dir)),
      settings_(settings),
      ui_(ui),
      clock_(std::move(clock)),
      registry_(data_dir_),
      retrain_exts_(supported_extensions()) {
    if (auto t = parse_tab(settings_.tab)) active_tab_ = *t;
    auto alive = alive_;
    query_.submit([this, alive] {
        std::string tool = find_file_chooser();
        ui_.post([this, alive, tool] {
            if (!alive->load()) return;
            chooser_ = tool;
            note_change();
        });
    });
    refresh_models();
    refresh_feedback_count();
    auto dir = data_dir_;
    query_.submit([this, alive, dir] {
        jobs::ScheduleSettings sched;
        std::string error;
        try {
            sched = jobs::load_schedule(dir);
        } catch (const std::exception& e) {
            error = e.what();
        }
        ui_.post([this, alive, sched, error] {
            if (!alive->load()) return;
            schedule_ = sched;
            if (!error.empty()) toast(ToastKind::Error, error, 10.0);
            note_change();
        });
    });
}

Controller::~Controller() { shutdown(); }

std::string Controller::data_dir_absolute() const {
    std::error_code ec;
    std::filesystem::path p = std::filesystem::absolute(data_dir_, ec);
    return ec ? data_dir_ : p.lexically_normal().string();
}

void Controller::shutdown() {
    alive_->store(false);
    if (chooser_pid_ > 0) ::kill(chooser_pid_, SIGTERM);
    if (chooser_thread_.joinable()) chooser_thread_.join();
    io_.stop();
    query_.stop();
    classify_.stop();
}

void Controller::set_active_tab(Tab t) {
    if (t == active_tab_) return;
    active_tab_ = t;
    settings_.tab = tab_key(t);
    note_change();
}

void Controller::receive_drop(std::vector<std::string> paths) {
    if (paths.empty()) return;
    switch (active_tab_) {
        case Tab::Upload:
            add_upload_paths(std::move(paths));
            break;
        case Tab::Retrain:
            add_retrain_paths(std::move(paths));
            break;
        case Tab::History:
        case Tab::Models:
            toast(ToastKind::Info, std::to_string(paths.size()) +
                                       " dropped item(s) added to Model Retraining > Files to "
                                       "Retrain");
            add_retrain_paths(std::move(paths));
            break;
    }
}

void Controller::add_retrain_paths(std::vector<std::string> paths) {
    ++pending_drops_;
    note_change();
    auto alive = alive_;
    io_.submit([this, alive, exts = retrain_exts_, paths = std::move(paths)] {
        DropSorting sorted = sort_dropped_paths(paths, exts);
        ui_.post([this, alive, sorted = std::move(sorted)]() mutable {
            if (!alive->load()) return;
            --pending_drops_;
            show_rejections(std::move(sorted.rejected), Tab::Retrain);
            accept_retrain_items(std::move(sorted.accepted));
            note_change();
        });
    });
}

void Controller::accept_retrain_items(std::vector<DroppedItem> items) {
    std::size_t duplicates = 0;
    for (auto& item : items) {
        bool already = std::any_of(retrain_.begin(), retrain_.end(),
                                   [&](const RetrainEntry& e) { return e.path == item.path; });
        if (already) {
            ++duplicates;
            continue;
        }
        RetrainEntry e;
        e.id = next_id_++;
        e.path = item.path;
        e.name = utf8_replace_invalid(base_name(item.path));
        e.type = file_type_label(item.path, item.is_folder);
        e.is_folder = item.is_folder;
        e.size_bytes = item.size_bytes;
        e.unsupported_in_folder = item.unsupported_in_folder;
        e.max_file_size = max_file_size_;
        if (item.is_folder) {
            for (auto& f : item.files) {
                InspectedFile inf;
                inf.path = std::move(f.path);
                inf.folder_label = std::move(f.folder_label);
                inf.size_bytes = f.size_bytes;
                e.files.push_back(std::move(inf));
            }
        } else {
            InspectedFile inf;
            inf.path = item.path;
            inf.size_bytes = item.size_bytes;
            e.files.push_back(std::move(inf));
        }
        retrain_.push_back(std::move(e));
        inspect_entry(retrain_.back());
    }
    if (duplicates > 0) {
        toast(ToastKind::Info, std::to_string(duplicates) + " item(s) already in the list");
    }
}

void Controller::inspect_entry(const RetrainEntry& e) {
    IngestOptions opts = ingest_options();
    auto alive = alive_;
    for (std::size_t i = 0; i < e.files.size(); ++i) {
        ++pending_inspections_;
        std::uint64_t id = e.id;
        std::string path = e.files[i].path, label = e.files[i].folder_label;
        io_.submit([this, alive, id, i, path, label, opts] {
            std::vector<Record> records;
            FileReport report = ingest_file(path, opts, records, label);
            ui_.post([this, alive, id, i, path, report = std::move(report)]() mutable {
                if (!alive->load()) return;
                --pending_inspections_;
                note_change();
                for (auto& entry : retrain_) {
                    if (entry.id != id || i >= entry.files.size()) continue;
                    // A re-count with new reader options may have replaced this file.
                    if (entry.files[i].path != path) return;
                    entry.files[i].report = std::move(report);
                    entry.files[i].done = true;
                }
            });
        });
    }
}

void Controller::reinspect_retrain_files() {
    for (auto& e : retrain_) {
        for (auto& f : e.files) f.done = false;
        inspect_entry(e);
    }
    note_change();
}

std::string rejection_name(const DropRejection& r) {
    return looks_like_url(r.path) ? r.path : base_name(r.path);
}

void Controller::show_rejections(std::vector<DropRejection> rejected, Tab where) {
    if (rejected.empty()) return;
    for (auto& r : rejected) r.path = utf8_replace_invalid(r.path);
    std::string text = std::to_string(rejected.size()) + " item(s) not added to " +
                       (where == Tab::Upload ? "Document Upload" : "Model Retraining") + ": " +
                       rejection_name(rejected.front()) + " " + rejected.front().reason;
    if (rejected.size() > 1) text += " (and more, see the list)";
    toast(ToastKind::Warning, text, 8.0);
    rejections_ = std::move(rejected);
    rejections_tab_ = where;
}

void Controller::remove_retrain_entry(std::uint64_t id) {
    retrain_.erase(std::remove_if(retrain_.begin(), retrain_.end(),
                                  [&](const RetrainEntry& e) { return e.id == id; }),
                   retrain_.end());
    note_change();
}

void Controller::clear_retrain_files() {
    retrain_.clear();
    rejections_.clear();
    note_change();
}

void Controller::set_upload_limits(std::vector<std::string> extensions,
                                   std::uint64_t max_file_size) {
    // Only types that both the readers and the job system take.
    std::vector<std::string> both;
    for (const auto& e : extensions) {
        const auto& readable = supported_extensions();
        if (std::find(readable.begin(), readable.end(), e) != readable.end()) both.push_back(e);
    }
    if (!both.empty()) retrain_exts_ = std::move(both);
    max_file_size_ = max_file_size;
}

std::string Controller::start_blocker() const {
    if (retrain_.empty()) return "Add feedback files first (drop them on the window).";
    bool any_pending = false, any_usable = false;
    for (const auto& e : retrain_) {
        if (!e.inspected()) any_pending = true;
        if (e.usable()) any_usable = true;
    }
    if (any_pending) return "Still counting records in the files...";
    if (!any_usable) return "No file holds labelled records.";
    return "";
}

IngestOptions Controller::ingest_options() const {
    IngestOptions o;
    o.text_col = settings_.training.text_col;
    o.label_cols = settings_.training.label_cols;
    o.label_sep = settings_.training.label_sep.empty() ? "/" : settings_.training.label_sep;
    return o;
}

// ---- Document Upload ----

void Controller::add_upload_paths(std::vector<std::string> paths) {
    ++pending_drops_;
    note_change();
    auto alive = alive_;
    io_.submit([this, alive, paths = std::move(paths)] {
        DropSorting sorted = sort_dropped_paths(paths, supported_extensions());
        ui_.post([this, alive, sorted = std::move(sorted)]() mutable {
            if (!alive->load()) return;
            --pending_drops_;
            show_rejections(std::move(sorted.rejected), Tab::Upload);
            for (auto& item : sorted.accepted) {
                auto add = [&](const std::string& path, std::uint64_t size) {
                    bool already = std::any_of(uploads_.begin(), uploads_.end(),
                                               [&](const UploadDoc& d) { return d.path == path; });
                    if (already) return;
                    UploadDoc d;
                    d.id = next_id_++;
                    d.path = path;
                    d.name = utf8_replace_invalid(base_name(path));
                    d.type = file_type_label(path, false);
                    d.size_bytes = size;
                    uploads_.push_back(std::move(d));
                };
                if (item.is_folder) {
                    for (const auto& f : item.files) add(f.path, f.size_bytes);
                } else {
                    add(item.path, item.size_bytes);
                }
            }
            note_change();
            classify_uploads(false);
        });
    });
}

void Controller::remove_upload_doc(std::uint64_t id) {
    uploads_.erase(std::remove_if(uploads_.begin(), uploads_.end(),
                                  [&](const UploadDoc& d) { return d.id == id; }),
                   uploads_.end());
    results_.erase(std::remove_if(results_.begin(), results_.end(),
                                  [&](const UploadResult& r) { return r.doc_id == id; }),
                   results_.end());
    note_change();
}

void Controller::clear_upload_docs() {
    uploads_.clear();
    results_.clear();
    note_change();
}

// ---- Browse... ----

void Controller::browse(Tab target) {
    if (chooser_.empty() || chooser_running_) return;
    chooser_running_ = true;
    if (chooser_thread_.joinable()) chooser_thread_.join();
    std::string tool = chooser_;
    auto alive = alive_;
    std::string title = target == Tab::Upload ? "Add documents" : "Add feedback files";
    chooser_thread_ = std::thread([this, alive, tool, title, target] {
        auto paths = run_file_chooser(tool, title, &chooser_pid_);
        ui_.post([this, alive, paths = std::move(paths), target]() mutable {
            if (!alive->load()) return;
            chooser_running_ = false;
            note_change();
            if (paths.empty()) return;
            if (target == Tab::Upload) {
                add_upload_paths(std::move(paths));
            } else {
                add_retrain_paths(std::move(paths));
            }
        });
    });
}

// ---- Models ----

const ModelInfo* Controller::active_model() const {
    if (!active_version_) return nullptr;
    for (const auto& m : models_) {
        if (m.version == *active_version_) return &m;
    }
    return nullptr;
}

void Controller::refresh_models() {
    auto alive = alive_;
    query_.submit([this, alive] {
        std::vector<ModelInfo> list;
        std::optional<int> active, previous;
        std::vector<PinnedSet> sets;
        std::string error;
        try {
            list = registry_.list();
            active = registry_.active();
            previous = registry_.previous_active();
            sets = list_pinned_sets(registry_.data_dir());
        } catch (const std::exception& e) {
            error = e.what();
        }
        ui_.post([this, alive, list = std::move(list), active, previous, sets, error] {
            if (!alive->load()) return;
            models_loaded_ = true;
            if (!error.empty()) {
                toast(ToastKind::Error, "Models: " + error, 8.0);
                return;
            }
            models_ = std::move(list);
            active_version_ = active;
            previous_active_ = previous;
            pinned_sets_ = sets;
            note_change();
        });
    });
}

// ---- Toasts ----

void Controller::toast(ToastKind kind, std::string text, double duration) {
    Toast t;
    t.id = next_id_++;
    t.kind = kind;
    t.text = utf8_replace_invalid(text);
    t.shown_at = now();
    t.duration = duration;
    toasts_.push_back(std::move(t));
    if (toasts_.size() > 6) toasts_.erase(toasts_.begin());
    note_change();
}

void Controller::dismiss_toast(std::uint64_t id) {
    toasts_.erase(
        std::remove_if(toasts_.begin(), toasts_.end(), [&](const Toast& t) { return t.id == id; }),
        toasts_.end());
    note_change();
}

void Controller::tick() {
    ui_.drain();
    double t = now();
    auto before = toasts_.size();
    toasts_.erase(std::remove_if(toasts_.begin(), toasts_.end(),
                                 [&](const Toast& x) { return t >= x.shown_at + x.duration; }),
                  toasts_.end());
    if (toasts_.size() != before) note_change();
}

bool Controller::animating() const {
    return busy_with_files() || classifying_ > 0 || comparing_ || models_busy_ > 0;
}

double Controller::next_deadline() const {
    double t = -1;
    for (const auto& x : toasts_) {
        double end = x.shown_at + x.duration;
        if (t < 0 || end < t) t = end;
    }
    return t;
}

}  // namespace htc::app
