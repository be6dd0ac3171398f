#pragma once
// The window's state and commands, with no ImGui or GLFW in it. The tabs draw from this state
// and call these commands; the test driver calls the same commands. Everything here runs on the
// UI thread except the work handed to workers, whose results come back through the RunQueue.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/drop.h"
#include "app/run_queue.h"
#include "app/settings.h"
#include "ingest/ingest.h"
#include "jobs/schedule.h"
#include "model/compare.h"
#include "model/registry.h"
#include "model/testsets.h"

namespace htc::app {

enum class Tab { Upload, Retrain, History, Models };
const char* tab_key(Tab t);  // "upload", "retrain", "history", "models"
std::optional<Tab> parse_tab(const std::string& key);

// One file of a retrain entry: a dropped file, or one file found below a dropped folder.
struct InspectedFile {
    std::string path;
    std::string folder_label;
    std::uint64_t size_bytes = 0;
    bool done = false;  // the background count has finished
    FileReport report;  // format, records, labelled, warnings, error
};

// One row of "Files to Retrain:".
struct RetrainEntry {
    std::uint64_t id = 0;
    std::string path;  // as dropped (a folder keeps its path: the job reads its labels from it)
    std::string name;  // display name (valid UTF-8)
    std::string type;  // "CSV", "PDF", "Folder" ...
    bool is_folder = false;
    std::uint64_t size_bytes = 0;
    std::size_t unsupported_in_folder = 0;
    std::uint64_t max_file_size = 0;  // the job system's limit (0 = none known)
    std::vector<InspectedFile> files;

    bool inspected() const;  // every file counted
    std::size_t files_done() const;
    std::size_t records() const;
    std::size_t labelled() const;
    std::size_t skipped() const;
    std::string formats() const;                // "csv", "txt-document x12, pdf x3" ...
    std::vector<std::string> problems() const;  // errors and warnings, one line each
    bool usable() const { return inspected() && labelled() > 0; }
};

// One classified document (a file, or one record of a CSV/JSON file) on Document Upload.
struct UploadResult {
    std::uint64_t id = 0;
    std::uint64_t doc_id = 0;        // the UploadDoc it came from
    std::string document;            // "report.pdf", "rows.csv:12"
    std::string text;                // the text as read (what a correction stores)
    std::string snippet;             // the start of the text, one line
    std::string file_label;          // the label the file itself carries ("" when none)
    std::string predicted;           // the predicted path
    std::vector<double> confidence;  // per level
    std::vector<std::pair<std::string, double>> top;  // the best 3 classes
    int model_version = 0;
    std::string corrected;  // the saved correction ("" = none)
    bool saving = false;    // a correction is being written
    double min_confidence() const;
};

// Classification state of one dropped document.
struct UploadStatus {
    bool classifying = false;
    bool done = false;
    std::size_t records = 0;
    std::string error;
};

// A document dropped on Document Upload.
struct UploadDoc {
    std::uint64_t id = 0;
    std::string path, name, type;
    std::uint64_t size_bytes = 0;
    UploadStatus status;
};

enum class ToastKind { Info, Success, Warning, Error };
struct Toast {
    std::uint64_t id = 0;
    ToastKind kind = ToastKind::Info;
    std::string text;
    double shown_at = 0, duration = 5;
};

// The name a rejected item is shown by: a URL whole, a path by its last component.
std::string rejection_name(const DropRejection& r);

class Controller {
  public:
    using Clock = std::function<double()>;
    Controller(std::string data_dir, GuiSettings& settings, RunQueue& ui, Clock clock);
    ~Controller();
    // Ends the file chooser and the workers (before the window goes away: their results
    // would wake a loop that no longer exists).
    void shutdown();
    Controller(const Controller&) = delete;
    Controller& operator=(const Controller&) = delete;

    const std::string& data_dir() const { return data_dir_; }
    // Where the data folder came from ("--data-dir", "HTC_DATA_DIR", "build tree", "XDG data
    // home") and the bundled sample's folder ("" when it is not installed), set at start.
    void set_locations(std::string data_source, std::string sample_dir) {
        data_source_ = std::move(data_source);
        sample_dir_ = std::move(sample_dir);
    }
    const std::string& data_source() const { return data_source_; }
    const std::string& sample_dir() const { return sample_dir_; }
    // The data folder as an absolute path, for showing.
    std::string data_dir_absolute() const;
    GuiSettings& settings() { return settings_; }
    const Registry& registry() const { return registry_; }

    // ---- tabs and drops ----
    Tab active_tab() const { return active_tab_; }
    void set_active_tab(Tab t);
    // Paths dropped on the window (copied by the drop callback): the active tab receives them;
    // History and Models hand them to Retrain with a notice.
    void receive_drop(std::vector<std::string> paths);
    void add_retrain_paths(std::vector<std::string> paths);
    void add_upload_paths(std::vector<std::string> paths);
    // Counts of drops still being sorted or counted in the background.
    bool busy_with_files() const { return pending_drops_ > 0 || pending_inspections_ > 0; }

    // ---- Browse... ----
    bool chooser_available() const { return !chooser_.empty(); }
    const std::string& chooser_name() const { return chooser_; }
    bool chooser_open() const { return chooser_running_; }
    void browse(Tab target);

    // ---- Retrain files ----
    const std::vector<RetrainEntry>& retrain_entries() const { return retrain_; }
    void remove_retrain_entry(std::uint64_t id);
    void clear_retrain_files();
    // Re-counts every file with the current reader overrides of the training form.
    void reinspect_retrain_files();
    // Why Start Retrain is disabled ("" when it is enabled).
    std::string start_blocker() const;
    const std::vector<DropRejection>& last_rejections() const { return rejections_; }
    Tab rejections_tab() const { return rejections_tab_; }  // where they were dropped
    void dismiss_rejections() { rejections_.clear(); }

    // ---- Document Upload ----
    const std::vector<UploadDoc>& upload_docs() const { return uploads_; }
    void remove_upload_doc(std::uint64_t id);
    void clear_upload_docs();
    // ---- classification and corrections (controller_upload.cpp) ----
    const std::vector<UploadResult>& upload_results() const { return results_; }
    // Classifies, in the background with the active model, the documents not classified yet
    // (every document when `again`: after a retrain or a rollback).
    void classify_uploads(bool again = false);
    bool classifying() const { return classifying_ > 0; }
    // Every node path of the model that classified last (sorted), for the label picker.
    const std::vector<std::string>& label_paths() const { return label_paths_; }
    int labels_version() const { return labels_version_; }
    // Stores a correction of a row as a feedback record (text, correct path, predicted path,
    // model version, time) in the background.
    void correct(std::uint64_t result_id, const std::string& path);
    std::size_t pending_feedback() const { return pending_feedback_; }
    std::size_t corrections_saved() const { return corrections_saved_; }
    void refresh_feedback_count();
    float confidence_threshold = 0.5f;  // rows whose lowest level confidence is below it stand out
    void export_predictions();          // <data>/exports/htc-predictions-YYYY-MM-DD-HHMMSS.csv
    const std::string& last_predictions_export() const { return predictions_export_; }
    // Called when Auto Sync is due (the jobs side queues a retrain with the corrections).
    void set_auto_sync_handler(std::function<void()> fn) { auto_sync_ = std::move(fn); }
    // ---- schedule (watched folder, daily time, Auto Sync) ----
    const jobs::ScheduleSettings& schedule() const { return schedule_; }
    void update_schedule(const jobs::ScheduleSettings& s);  // saved in the background

    // ---- Models ----
    const std::vector<ModelInfo>& models() const { return models_; }
    std::optional<int> active_version() const { return active_version_; }
    const ModelInfo* active_model() const;
    bool models_loaded() const { return models_loaded_; }  // the registry was read once
    void refresh_models();  // reads the registry on a worker
    // Registry commands, run on a worker; the list refreshes afterwards.
    void promote_version(int version);
    void rollback_to(int version);
    void delete_version(int version);
    bool models_busy() const { return models_busy_ > 0; }
    std::optional<int> previous_active() const { return previous_active_; }
    // Side-by-side comparison of two versions (from their stored metrics), on a worker.
    void compare_versions(int a, int b);
    bool comparing() const { return comparing_; }
    const std::optional<ModelComparison>& comparison() const { return comparison_; }
    // Pinned test sets.
    const std::vector<PinnedSet>& pinned_sets() const { return pinned_sets_; }
    void pin_test_set(const std::string& path);
    void unpin_test_set(const std::string& name);

    // ---- Toasts ----
    void toast(ToastKind kind, std::string text, double duration = 5.0);
    const std::vector<Toast>& toasts() const { return toasts_; }
    void dismiss_toast(std::uint64_t id);

    // Once per frame, before drawing: runs queued results, expires toasts.
    void tick();
    // Something moves on screen (a count in progress shows its progress).
    bool animating() const;
    // When the next toast expires (monotonic seconds), < 0 when none: the loop sleeps until
    // then instead of drawing frames for a toast that does not move.
    double next_deadline() const;
    double now() const { return clock_(); }
    // Bumped whenever state the window shows changed; the loop compares it between frames.
    std::uint64_t change_counter() const { return changes_; }
    void note_change() { ++changes_; }

    // What the job system accepts (its allowed extensions and size limit, from its config).
    void set_upload_limits(std::vector<std::string> extensions, std::uint64_t max_file_size);
    const std::vector<std::string>& retrain_extensions() const { return retrain_exts_; }

    // The form as pipeline options (files from the list, engine, parameters).
    IngestOptions ingest_options() const;

  private:
    void accept_retrain_items(std::vector<DroppedItem> items);
    void inspect_entry(const RetrainEntry& e);
    void show_rejections(std::vector<DropRejection> rejected, Tab where);

    std::string data_dir_;
    std::string data_source_, sample_dir_;
    bool models_loaded_ = false;
    GuiSettings& settings_;
    RunQueue& ui_;
    Clock clock_;
    Registry registry_;
    Tab active_tab_ = Tab::Retrain;

    std::vector<RetrainEntry> retrain_;
    std::vector<UploadDoc> uploads_;
    std::vector<DropRejection> rejections_;
    Tab rejections_tab_ = Tab::Retrain;
    std::vector<Toast> toasts_;
    std::vector<ModelInfo> models_;
    std::optional<int> active_version_;
    std::uint64_t next_id_ = 1;
    std::uint64_t changes_ = 1;
    int pending_drops_ = 0;
    int pending_inspections_ = 0;

    void on_models_command(const std::string& ok, const std::string& error);

    std::vector<UploadResult> results_;
    int classifying_ = 0;
    std::vector<std::string> label_paths_;
    int labels_version_ = 0;
    std::size_t pending_feedback_ = 0, corrections_saved_ = 0;
    std::string predictions_export_;
    std::function<void()> auto_sync_;
    jobs::ScheduleSettings schedule_;
    struct ClassifyCache;
    std::shared_ptr<ClassifyCache> classify_cache_;
    int models_busy_ = 0;
    std::optional<int> previous_active_;
    bool comparing_ = false;
    std::optional<ModelComparison> comparison_;
    std::vector<PinnedSet> pinned_sets_;

    std::vector<std::string> retrain_exts_;
    std::uint64_t max_file_size_ = 0;

    std::string chooser_;
    bool chooser_running_ = false;
    volatile int chooser_pid_ = 0;
    std::thread chooser_thread_;

    // Declared last: destroyed first, so no task outlives the state it reads.
    std::shared_ptr<std::atomic<bool>> alive_ = std::make_shared<std::atomic<bool>>(true);
    Worker io_;     // drops and file counts
    Worker query_;  // registry and history reads
    // Classification of uploaded documents (holds the loaded model).
    Worker classify_;
};

}  // namespace htc::app
