#pragma once
// The job side of the window, with no ImGui in it: submits retrain jobs to the in-process
// JobRunner, follows its cheap versioned snapshot for live progress, and keeps the Training
// History view (all jobs as light rows, filtered and sorted on a worker into an index that the
// table draws with a list clipper). Store reads, exports and submits run on workers; the UI
// thread only swaps in finished results.
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "app/run_queue.h"
#include "jobs/job.h"
#include "jobs/upload_store.h"
#include "pipeline.h"

namespace htc::app {

class Controller;

// One row of the history table.
struct HistoryRow {
    std::string id;
    std::string created;        // ISO 8601 as stored
    std::string created_local;  // shown
    double created_epoch = 0;
    std::string status;  // "queued", "running", ...
    std::string details;
    std::string error;
    double duration = -1;  // seconds, < 0 when not finished
    int model_version = 0;
    std::size_t files = 0;
    std::string haystack;  // lower-case id, details, error and file names for search
};

enum class HistoryColumn { Id = 0, Timestamp, Status, Details, Duration, Model, Count };

struct HistoryView {
    std::vector<std::uint32_t> order;  // indices into rows, filtered and sorted
};

// The job this window follows on the Retrain tab.
struct LiveJob {
    std::string id;
    std::string status;
    std::string stage;
    double progress = 0;
    double eta_seconds = -1;
    std::string metric_name;
    std::vector<float> curve;  // live curve values, in order
    std::string details;
    std::string error;
    double elapsed_seconds = -1;
};

// A finished job's outcome for the summary and the before/after comparison.
struct FinishedSummary {
    std::string id, status, details, error;
    int version = 0, previous_version = 0;
    bool promoted = false;
    std::string promotion_reason;
    nlohmann::json metrics;           // new model on the validation split
    nlohmann::json previous_metrics;  // the previously active model on the same split (or null)
    double duration = -1;
};

class JobsModel {
  public:
    JobsModel(Controller& controller, RunQueue& ui);
    ~JobsModel();
    JobsModel(const JobsModel&) = delete;
    JobsModel& operator=(const JobsModel&) = delete;
    // Stops the runner (a running job is requeued for the next start) and the workers.
    void shutdown();

    // Once per loop iteration, cheap: compares the runner's snapshot version.
    void tick();
    bool job_active() const;  // a job runs or waits in this data folder
    std::size_t queue_length() const { return queued_; }
    std::size_t running_count() const { return running_; }
    const std::string& store_error() const { return store_error_; }

    // ---- Retrain tab ----
    // Submits the Controller's files with its training form (the Start Retrain button).
    void start_retrain();
    // Submits the bundled sample's files (every file in `sample_dir`) as a retrain job with
    // the training form's engine and parameters and the readers' defaults (the first-run
    // view's button).
    void start_sample_retrain(const std::string& sample_dir);
    bool submitting() const { return submitting_; }
    const std::string& started_job_id() const { return started_id_; }
    const std::optional<LiveJob>& live_job() const { return live_; }
    const std::optional<FinishedSummary>& last_finished() const { return finished_; }
    void dismiss_finished() { finished_.reset(); }
    void cancel(const std::string& id);
    void retry(const std::string& id);
    // Queues a retrain job with the pending corrections (Document Upload's button, Auto Sync).
    void retrain_with_corrections();

    // ---- Training History ----
    void refresh_history();
    bool history_loading() const { return history_loading_ > 0; }
    std::size_t history_size() const { return view_ ? view_->order.size() : 0; }
    const HistoryRow& history_row(std::size_t i) const { return (*rows_)[view_->order[i]]; }
    std::size_t history_total() const { return rows_ ? rows_->size() : 0; }
    bool history_loaded() const { return rows_ != nullptr; }  // read from the store once
    const HistoryRow* find_row(const std::string& id) const;
    void set_filter(const std::string& status, const std::string& search);
    void set_sort(HistoryColumn column, bool ascending);
    const std::string& filter_status() const { return filter_status_; }

    void export_csv();
    bool exporting() const { return exporting_; }
    const std::string& last_export_path() const { return last_export_; }

    // ---- Job view ----
    void open_job(const std::string& id);
    const std::optional<jobs::Job>& viewed_job() const { return viewed_; }
    bool viewed_loading() const { return viewed_loading_; }
    void close_job() {
        viewed_.reset();
        viewed_id_.clear();
    }

    // Seconds the last full history read took (worker side), < 0 before the first.
    double last_history_seconds() const { return last_history_seconds_; }

    // ---- for the status bar and tests ----
    std::uint64_t snapshot_version() const { return snapshot_version_; }

  private:
    struct Impl;
    void start_schedule();
    void rebuild_view();
    void on_snapshot();
    // Queues a retrain of `sources` on the submit worker; `clear_files` empties Files to
    // Retrain once it is queued.
    void submit(std::vector<jobs::UploadSource> sources, RetrainOptions opts, bool clear_files);

    Controller& c_;
    RunQueue& ui_;
    std::unique_ptr<Impl> impl_;

    std::string store_error_;
    std::size_t queued_ = 0, running_ = 0;
    std::uint64_t snapshot_version_ = 0;
    bool submitting_ = false;
    std::string started_id_;
    std::optional<LiveJob> live_;
    std::optional<FinishedSummary> finished_;

    std::shared_ptr<const std::vector<HistoryRow>> rows_;
    std::shared_ptr<const HistoryView> view_;
    int history_loading_ = 0;
    std::uint64_t view_generation_ = 0;
    std::string filter_status_, filter_search_;
    HistoryColumn sort_column_ = HistoryColumn::Timestamp;
    bool sort_ascending_ = false;
    double last_history_refresh_ = -1;
    bool history_stale_ = false;
    bool reading_history_ = false;
    bool refresh_again_ = false;
    double last_history_seconds_ = -1;

    bool exporting_ = false;
    std::string last_export_;

    std::optional<jobs::Job> viewed_;
    std::string viewed_id_;
    bool viewed_loading_ = false;
};

}  // namespace htc::app
