#pragma once
// Test driver (--test-script FILE): runs a script against the live window, one command per
// line, calling the same controller and job commands that the buttons call. Waits are checked
// once per frame against a timeout; a timeout ends the app with exit code 3 after writing the
// state to <screenshot dir>/failure-state.json and a failure screenshot.
//
//   tab upload|retrain|history|models    switch tab (as a click on it)
//   drop PATH                            as an OS drop of one path on the active tab
//   set KEY VALUE                        training form: engine, text_col, label_cols,
//                                        label_sep, promote, C, min_df, epochs, lr, dim,
//                                        threads, validation, extend_corpus (0/1)
//   reinspect                            "Apply to files" after changing reader options
//   open_options                         unfolds "Training options" (as a click on it)
//   wait_files N [SECONDS]               N entries in Files to Retrain, all counted
//   wait_rejections N [SECONDS]          N rejected drop items shown
//   wait_uploads N [SECONDS]             N documents in Document Upload
//   wait_classified N [SECONDS]          N result rows on Document Upload, none classifying
//   reclassify                           the Classify again button
//   threshold X                          the "Highlight below" slider
//   correct_wrong N                      corrects N rows whose prediction differs from the
//                                        label their file carries, with that label
//   open_picker ROW / close_picker       the Correct... button of a row (0-based) / Cancel
//   picker_new PATH                      a new label typed in the picker (asks to confirm)
//   wait_feedback N [SECONDS]            N corrections saved as feedback
//   retrain_corrections                  Retrain with corrections; waits until it is queued
//   autosync N                           Auto Sync after N corrections (0 = off)
//   wait_auto_sync [SECONDS]             Auto Sync queued a retrain (a new started job)
//   wait_active V [SECONDS]              version V is the active model
//   wait_models N [SECONDS]              Refresh on Models, until N versions are listed
//   promote V                            a version's Promote button
//   ask_rollback V / rollback V          the Roll back button / its confirmation
//   compare A B, wait_compare [SECONDS]  the Compare button, and its result
//   pin PATH, wait_pinned N [SECONDS]    pins a test set
//   start_retrain                        the Start Retrain button; waits until it is queued
//   wait_first_run [SECONDS]             the first-run view is shown (empty data folder)
//   train_sample                         its "Train on the sample data" button; waits until
//                                        the job is queued
//   wait_progress [SECONDS]              the started job reports progress above 0
//   wait_curve N [SECONDS]               the started job's live curve has N points (or it ended)
//   wait_job STATUS [SECONDS]            the started job reaches STATUS
//   wait_history N [SECONDS]             the history table shows at least N rows
//   filter STATUS|all [SEARCH]           the status filter and search field of the history
//   sort COLUMN asc|desc                 a click on a history header (0 = Job ID .. 5 = Model)
//   wait_history_idle [SECONDS]          the filtered and sorted view is ready
//   refresh                              the Refresh button
//   export_csv                           the Export CSV button
//   wait_export [SECONDS]                the export finished (path in the state dump)
//   view last|JOB_ID                     the View button of a job
//   close_view                           closes the job view
//   frames N                             draw N more frames
//   screenshot NAME                      <screenshot dir>/NAME.png of the next settled frame
//   dump FILE                            the state as JSON
//   quit                                 close the window (exit code 0)
// Measuring commands (the benchmark in bench/ uses them; figures are in the state under
// "bench"):
//   fast_frames on|off                   draw frames back to back instead of ~10 per second
//   scroll_history FRAMES PIXELS         scroll the history table PIXELS further on each of
//                                        FRAMES frames (from the top again past the end) and
//                                        record each frame's CPU time
// The state also holds the wall-clock time of the first frame, of the last completed
// wait_history, and the duration of the last export_csv .. wait_export.
// A script that ends without `quit` leaves the window open and idle (the driver stops asking
// for frames): the idle test measures CPU then and closes the window as a user would.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace htc::ui {
struct UiState;
}

namespace htc::app {

class Controller;
class JobsModel;

class TestDriver {
  public:
    TestDriver(const std::string& script_path, std::string screenshot_dir, Controller& c,
               JobsModel& jobs, ui::UiState& ui);
    const std::string& error() const { return error_; }  // script could not be read
    bool done() const { return done_; }  // the script ended: no more frames are forced
    bool quit_requested() const { return quit_; }
    int exit_code() const { return exit_code_; }

    // Before building a frame: runs commands until one has to wait.
    void before_frame(double now);
    // After rendering, before the swap: takes a pending screenshot.
    void after_render(int width, int height);
    // After every drawn frame (counts frames and the longest gap while the script runs).
    void frame_drawn(double now);
    // CPU seconds the frame took: the main thread building and submitting it (`ui`), the main
    // thread including the buffer swap (`frame`), and the whole process including the swap
    // (`process`, which counts the GL driver's threads).
    void frame_cpu(double ui, double frame, double process);
    bool wants_fast_frames() const { return fast_frames_ && !done_; }

    // The state the tests check, also written by `dump`.
    nlohmann::json state() const;

  private:
    struct Command {
        int line = 0;
        std::string name;
        std::vector<std::string> args;  // "drop" and "set" keep the rest of the line whole
    };
    void fail(const std::string& message);
    bool run(const Command& cmd, double now);  // true when finished, false to wait
    double timeout_of(const Command& cmd, std::size_t index, double fallback) const;

    std::vector<Command> commands_;
    std::size_t pc_ = 0;
    double step_started_ = -1;
    int frames_in_step_ = 0;
    std::string screenshot_dir_;
    std::string pending_screenshot_;
    bool screenshot_taken_ = false;
    double max_progress_seen_ = 0;
    std::size_t max_curve_points_seen_ = 0;
    std::string previous_started_;
    std::vector<std::string> screenshots_;
    Controller& c_;
    JobsModel& jobs_;
    ui::UiState& ui_;
    std::string error_;
    bool done_ = false;
    int exit_code_ = 0;
    bool failing_ = false;
    bool quit_ = false;
    bool fast_frames_ = false;
    bool recording_ = false;
    int scroll_frames_left_ = 0;
    float scroll_y_ = 0, scroll_step_ = 0;
    std::vector<double> ui_cpu_, frame_cpu_, process_cpu_;
    double first_frame_epoch_ = 0, history_ready_epoch_ = 0;
    double export_started_ = -1, export_seconds_ = -1;
    std::uint64_t frames_ = 0, frames_at_script_end_ = 0;
    double last_frame_ = -1, max_frame_gap_ = 0;
};

}  // namespace htc::app
