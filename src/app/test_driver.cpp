#include "app/test_driver.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "app/controller.h"
#include "app/first_run.h"
#include "app/format.h"
#include "app/jobs_model.h"
#include "app/screenshot.h"
#include "model/registry.h"
#include "ui/ui.h"

namespace htc::app {

using nlohmann::json;

namespace {
double epoch_seconds() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

// Median, p99 and max of CPU seconds, in milliseconds.
json cpu_summary(std::vector<double> v) {
    if (v.empty()) return nullptr;
    std::sort(v.begin(), v.end());
    auto at = [&](double q) {
        std::size_t i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
        return v[std::min(i, v.size() - 1)] * 1000.0;
    };
    return {{"frames", v.size()}, {"median_ms", at(0.5)}, {"p99_ms", at(0.99)}, {"max_ms", v.back() * 1000.0}};
}

std::string trim(const std::string& s) {
    auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return "";
    auto e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}
}  // namespace

TestDriver::TestDriver(const std::string& script_path, std::string screenshot_dir, Controller& c,
                       JobsModel& jobs, ui::UiState& ui)
    : screenshot_dir_(std::move(screenshot_dir)), c_(c), jobs_(jobs), ui_(ui) {
    std::ifstream in(script_path);
    if (!in) {
        error_ = script_path + ": cannot read the test script";
        return;
    }
    std::string raw;
    int line_no = 0;
    while (std::getline(in, raw)) {
        ++line_no;
        std::string line = trim(raw);
        if (line.empty() || line[0] == '#') continue;
        Command cmd;
        cmd.line = line_no;
        auto space = line.find_first_of(" \t");
        cmd.name = line.substr(0, space);
        std::string rest = space == std::string::npos ? "" : trim(line.substr(space));
        if (cmd.name == "drop" || cmd.name == "dump" || cmd.name == "screenshot" ||
            cmd.name == "pin") {
            if (!rest.empty()) cmd.args.push_back(rest);
        } else if (cmd.name == "set") {
            auto sp = rest.find_first_of(" \t");
            cmd.args.push_back(rest.substr(0, sp));
            cmd.args.push_back(sp == std::string::npos ? "" : trim(rest.substr(sp)));
        } else {
            std::istringstream words(rest);
            std::string w;
            while (words >> w) cmd.args.push_back(w);
        }
        commands_.push_back(std::move(cmd));
    }
}

void TestDriver::fail(const std::string& message) {
    std::fprintf(stderr, "htc-trainer test driver: %s\n", message.c_str());
    std::ofstream out(screenshot_dir_ + "/failure-state.json");
    out << state().dump(2) << "\n";
    failing_ = true;
    exit_code_ = 3;
    pending_screenshot_ = screenshot_dir_ + "/failure.png";
}

double TestDriver::timeout_of(const Command& cmd, std::size_t index, double fallback) const {
    if (cmd.args.size() > index) {
        try {
            return std::stod(cmd.args[index]);
        } catch (const std::exception&) {
        }
    }
    return fallback;
}

void TestDriver::before_frame(double now) {
    if (done_ || failing_) return;
    while (pc_ < commands_.size()) {
        const Command& cmd = commands_[pc_];
        if (step_started_ < 0) {
            step_started_ = now;
            frames_in_step_ = 0;
        }
        bool finished = false;
        try {
            finished = run(cmd, now);
        } catch (const std::exception& e) {
            fail("line " + std::to_string(cmd.line) + " (" + cmd.name + "): " + e.what());
            return;
        }
        if (failing_ || done_) return;
        if (!finished) {
            ++frames_in_step_;
            return;
        }
        ++pc_;
        step_started_ = -1;
    }
    done_ = true;  // the script ended without quit: the window stays open and idle
    frames_at_script_end_ = frames_;
}

void TestDriver::frame_cpu(double ui, double frame, double process) {
    if (!recording_) return;
    ui_cpu_.push_back(ui);
    frame_cpu_.push_back(frame);
    process_cpu_.push_back(process);
}

void TestDriver::frame_drawn(double now) {
    if (frames_ == 0) first_frame_epoch_ = epoch_seconds();
    ++frames_;
    if (!done_ && last_frame_ >= 0) max_frame_gap_ = std::max(max_frame_gap_, now - last_frame_);
    last_frame_ = now;
}

bool TestDriver::run(const Command& cmd, double now) {
    const double waited = now - step_started_;
    auto wait_until = [&](bool condition, double timeout, const std::string& what) {
        if (condition) return true;
        if (waited > timeout) {
            fail("line " + std::to_string(cmd.line) + ": timed out after " +
                 std::to_string(static_cast<int>(timeout)) + " s waiting for " + what);
        }
        return false;
    };
    const auto& a = cmd.args;
    if (cmd.name == "tab") {
        auto t = parse_tab(a.empty() ? "" : a[0]);
        if (!t) throw std::runtime_error("unknown tab '" + (a.empty() ? "" : a[0]) + "'");
        c_.set_active_tab(*t);
        ui_.force_tab = true;
        return true;
    }
    if (cmd.name == "drop") {
        if (a.empty()) throw std::runtime_error("drop needs a path");
        c_.receive_drop({a[0]});
        return true;
    }
    if (cmd.name == "set") {
        TrainingForm& f = c_.settings().training;
        const std::string& k = a[0];
        const std::string& v = a[1];
        if (k == "engine")
            f.engine = v;
        else if (k == "text_col")
            f.text_col = v;
        else if (k == "label_cols")
            f.label_cols = v;
        else if (k == "label_sep")
            f.label_sep = v;
        else if (k == "promote")
            f.promote = v;
        else if (k == "C")
            f.params.C = std::stod(v);
        else if (k == "min_df")
            f.params.min_df = std::stoi(v);
        else if (k == "epochs")
            f.params.epochs = std::stoi(v);
        else if (k == "lr")
            f.params.lr = std::stod(v);
        else if (k == "dim")
            f.params.dim = std::stoi(v);
        else if (k == "threads")
            f.params.threads = std::stoi(v);
        else if (k == "validation")
            f.validation_fraction = std::stod(v);
        else if (k == "extend_corpus")
            f.extend_corpus = v == "1" || v == "true";
        else
            throw std::runtime_error("unknown setting '" + k + "'");
        c_.note_change();
        return true;
    }
    if (cmd.name == "open_options") {
        ui_.options_open = true;
        return true;
    }
    if (cmd.name == "reinspect") {
        c_.reinspect_retrain_files();
        return true;
    }
    if (cmd.name == "wait_files") {
        std::size_t n = a.empty() ? 1 : std::stoul(a[0]);
        bool ok = c_.retrain_entries().size() >= n && !c_.busy_with_files();
        for (const auto& e : c_.retrain_entries()) ok = ok && e.inspected();
        return wait_until(ok, timeout_of(cmd, 1, 60), std::to_string(n) + " counted file(s)");
    }
    if (cmd.name == "wait_rejections") {
        std::size_t n = a.empty() ? 1 : std::stoul(a[0]);
        return wait_until(c_.last_rejections().size() >= n && !c_.busy_with_files(),
                          timeout_of(cmd, 1, 60), std::to_string(n) + " rejection(s)");
    }
    if (cmd.name == "wait_uploads") {
        std::size_t n = a.empty() ? 1 : std::stoul(a[0]);
        return wait_until(c_.upload_docs().size() >= n && !c_.busy_with_files(),
                          timeout_of(cmd, 1, 60), std::to_string(n) + " document(s)");
    }
    // ---- Document Upload ----
    if (cmd.name == "wait_classified") {
        std::size_t n = a.empty() ? 1 : std::stoul(a[0]);
        return wait_until(
            c_.upload_results().size() >= n && !c_.classifying() && !c_.busy_with_files(),
            timeout_of(cmd, 1, 120), std::to_string(n) + " classified row(s)");
    }
    if (cmd.name == "reclassify") {
        c_.classify_uploads(true);
        return true;
    }
    if (cmd.name == "threshold") {
        c_.confidence_threshold = a.empty() ? 0.5f : std::stof(a[0]);
        return true;
    }
    if (cmd.name == "correct_wrong") {
        // As a user correcting N rows whose prediction differs from the label the file carries,
        // picking that label in the label picker.
        std::size_t n = a.empty() ? 1 : std::stoul(a[0]), done = 0;
        for (const auto& r : c_.upload_results()) {
            if (done == n) break;
            auto truth = parse_label_path(r.file_label);
            if (!truth || truth->str() == r.predicted || !r.corrected.empty()) continue;
            c_.correct(r.id, truth->str());
            ++done;
        }
        if (done < n)
            throw std::runtime_error("only " + std::to_string(done) + " wrong rows to correct");
        return true;
    }
    if (cmd.name == "open_picker") {
        std::size_t i = a.empty() ? 0 : std::stoul(a[0]);
        if (i >= c_.upload_results().size()) throw std::runtime_error("no result row " + a[0]);
        ui_.picker_row = c_.upload_results()[i].id;
        ui_.open_picker_popup = true;
        return true;
    }
    if (cmd.name == "picker_new") {  // types a new label and presses "Use new label"
        if (a.empty()) throw std::runtime_error("picker_new needs a label path");
        std::snprintf(ui_.picker_new_label, sizeof ui_.picker_new_label, "%s", a[0].c_str());
        ui_.picker_selected = a[0];
        ui_.picker_confirm_new = true;
        return true;
    }
    if (cmd.name == "close_picker") {
        ui_.picker_row = 0;
        return true;
    }
    if (cmd.name == "wait_feedback") {
        std::size_t n = a.empty() ? 1 : std::stoul(a[0]);
        bool saving = false;
        for (const auto& r : c_.upload_results()) saving |= r.saving;
        return wait_until(c_.corrections_saved() >= n && !saving, timeout_of(cmd, 1, 60),
                          std::to_string(n) + " saved correction(s)");
    }
    if (cmd.name == "retrain_corrections") {
        if (frames_in_step_ == 0) {
            previous_started_ = jobs_.started_job_id();
            jobs_.retrain_with_corrections();
            return false;
        }
        if (jobs_.submitting()) return wait_until(false, 120, "the submit to finish");
        if (jobs_.started_job_id() == previous_started_)
            throw std::runtime_error("no retrain with corrections was queued (see the toasts)");
        return true;
    }
    if (cmd.name == "autosync") {  // the Auto Sync checkbox and its count (0 = off)
        jobs::ScheduleSettings sch = c_.schedule();
        int n = a.empty() ? 0 : std::stoi(a[0]);
        sch.auto_sync = n > 0;
        if (n > 0) sch.auto_sync_after = n;
        c_.update_schedule(sch);
        previous_started_ = jobs_.started_job_id();
        return true;
    }
    if (cmd.name == "wait_auto_sync") {
        return wait_until(!jobs_.submitting() && !jobs_.started_job_id().empty() &&
                              jobs_.started_job_id() != previous_started_,
                          timeout_of(cmd, 0, 60), "Auto Sync to queue a retrain");
    }
    // ---- Models ----
    if (cmd.name == "wait_active") {
        int v = a.empty() ? 1 : parse_version(a[0]);
        return wait_until(c_.active_version() == v && !c_.models_busy(), timeout_of(cmd, 1, 60),
                          "v" + std::to_string(v) + " to be active");
    }
    if (cmd.name == "wait_models") {
        std::size_t n = a.empty() ? 1 : std::stoul(a[0]);
        if (frames_in_step_ == 0) c_.refresh_models();
        return wait_until(c_.models().size() >= n, timeout_of(cmd, 1, 60),
                          std::to_string(n) + " model version(s)");
    }
    if (cmd.name == "promote") {
        c_.promote_version(parse_version(a.at(0)));
        return true;
    }
    if (cmd.name == "ask_rollback") {  // the Roll back button: opens the confirmation
        ui_.confirm_rollback = parse_version(a.at(0));
        return true;
    }
    if (cmd.name == "rollback") {  // the confirmation's Roll back button
        ui_.confirm_rollback = 0;
        c_.rollback_to(parse_version(a.at(0)));
        return true;
    }
    if (cmd.name == "compare") {
        ui_.compare_a = parse_version(a.at(0));
        ui_.compare_b = parse_version(a.at(1));
        c_.compare_versions(ui_.compare_a, ui_.compare_b);
        return true;
    }
    if (cmd.name == "wait_compare") {
        return wait_until(!c_.comparing() && c_.comparison().has_value(), timeout_of(cmd, 0, 60),
                          "the comparison");
    }
    if (cmd.name == "pin") {
        if (a.empty()) throw std::runtime_error("pin needs a path");
        c_.pin_test_set(a[0]);
        return true;
    }
    if (cmd.name == "wait_pinned") {
        std::size_t n = a.empty() ? 1 : std::stoul(a[0]);
        return wait_until(c_.pinned_sets().size() >= n && !c_.models_busy(), timeout_of(cmd, 1, 60),
                          std::to_string(n) + " pinned set(s)");
    }
    if (cmd.name == "start_retrain") {
        // Clicks once, then waits until the job is queued (its id is known).
        if (frames_in_step_ == 0) {
            std::string why = c_.start_blocker();
            if (!why.empty()) throw std::runtime_error("Start Retrain is disabled: " + why);
            previous_started_ = jobs_.started_job_id();
            jobs_.start_retrain();
            return false;
        }
        if (jobs_.submitting()) return wait_until(false, 120, "the submit to finish");
        if (jobs_.started_job_id() == previous_started_) {
            throw std::runtime_error("the retrain was not queued (see the toasts)");
        }
        return true;
    }
    if (cmd.name == "wait_progress") {
        const auto& live = jobs_.live_job();
        if (live && live->id == jobs_.started_job_id()) {
            max_progress_seen_ = std::max(max_progress_seen_, live->progress);
        }
        bool seen = max_progress_seen_ > 0 ||
                    (jobs_.last_finished() && jobs_.last_finished()->id == jobs_.started_job_id() &&
                     !jobs_.started_job_id().empty());
        return wait_until(seen, timeout_of(cmd, 0, 120), "progress of the started job");
    }
    if (cmd.name == "wait_curve") {
        // N points of the started job's live curve, or its end (a fast job may finish first).
        const auto& live = jobs_.live_job();
        std::size_t want = a.empty() ? 1 : static_cast<std::size_t>(std::stoul(a[0]));
        if (live && live->id == jobs_.started_job_id())
            max_curve_points_seen_ = std::max(max_curve_points_seen_, live->curve.size());
        bool ended = jobs_.last_finished() && jobs_.last_finished()->id == jobs_.started_job_id();
        return wait_until(max_curve_points_seen_ >= want || ended, timeout_of(cmd, 1, 120),
                          "curve points of the started job");
    }
    if (cmd.name == "wait_first_run") {
        return wait_until(first_run(c_, jobs_), timeout_of(cmd, 0, 60), "the first-run view");
    }
    if (cmd.name == "train_sample") {
        // The first-run view's button, then waits until the job is queued.
        if (frames_in_step_ == 0) {
            if (!first_run(c_, jobs_)) throw std::runtime_error("the first-run view is not shown");
            previous_started_ = jobs_.started_job_id();
            train_on_sample(c_, jobs_);
            return false;
        }
        if (jobs_.submitting()) return wait_until(false, 120, "the submit to finish");
        if (jobs_.started_job_id() == previous_started_) {
            throw std::runtime_error("the sample retrain was not queued (see the toasts)");
        }
        return true;
    }
    if (cmd.name == "wait_job") {
        std::string want = a.empty() ? "completed" : a[0];
        const auto& fin = jobs_.last_finished();
        const auto& live = jobs_.live_job();
        std::string status;
        if (fin && fin->id == jobs_.started_job_id())
            status = fin->status;
        else if (live && live->id == jobs_.started_job_id())
            status = live->status;
        if (live && live->id == jobs_.started_job_id()) {
            max_progress_seen_ = std::max(max_progress_seen_, live->progress);
        }
        if (fin && fin->id == jobs_.started_job_id() && fin->status != want) {
            fail("line " + std::to_string(cmd.line) + ": job ended " + fin->status + " (wanted " +
                 want + "): " + fin->details + " " + fin->error);
            return false;
        }
        return wait_until(!jobs_.started_job_id().empty() && status == want,
                          timeout_of(cmd, 1, 300), "the started job to be " + want);
    }
    if (cmd.name == "wait_history") {
        std::size_t n = a.empty() ? 1 : std::stoul(a[0]);
        bool ready = jobs_.history_size() >= n && !jobs_.history_loading();
        if (ready) history_ready_epoch_ = epoch_seconds();
        return wait_until(ready, timeout_of(cmd, 1, 60), std::to_string(n) + " history row(s)");
    }
    if (cmd.name == "filter") {
        // filter STATUS|all [SEARCH]: the status combo and the search field
        std::string status = a.empty() || a[0] == "all" ? "" : a[0];
        std::string search = a.size() > 1 ? a[1] : "";
        c_.settings().history_status = status;
        jobs_.set_filter(status, search);
        return true;
    }
    if (cmd.name == "sort") {
        // sort COLUMN asc|desc, COLUMN = 0..5 (Job ID, Timestamp, Status, Details, Duration,
        // Model), as a click on a header
        int column = a.empty() ? 1 : std::stoi(a[0]);
        bool asc = a.size() > 1 && a[1] == "asc";
        jobs_.set_sort(static_cast<HistoryColumn>(column), asc);
        return true;
    }
    if (cmd.name == "wait_history_idle") {
        return wait_until(!jobs_.history_loading(), timeout_of(cmd, 0, 60),
                          "the history view to be rebuilt");
    }
    if (cmd.name == "refresh") {
        jobs_.refresh_history();
        return true;
    }
    if (cmd.name == "export_csv") {
        export_started_ = now;
        export_seconds_ = -1;
        jobs_.export_csv();
        return true;
    }
    if (cmd.name == "wait_export") {
        bool ready = !jobs_.exporting() && !jobs_.last_export_path().empty();
        if (ready && export_started_ >= 0 && export_seconds_ < 0) export_seconds_ = now - export_started_;
        return wait_until(ready, timeout_of(cmd, 0, 60), "the CSV export");
    }
    if (cmd.name == "fast_frames") {
        fast_frames_ = a.empty() || a[0] == "on";
        return true;
    }
    if (cmd.name == "scroll_history") {
        // The first call starts the run; each later frame scrolls one step further.
        if (frames_in_step_ == 0) {
            scroll_frames_left_ = a.empty() ? 100 : std::stoi(a[0]);
            scroll_step_ = a.size() > 1 ? std::stof(a[1]) : 2000.0f;
            scroll_y_ = 0;
            ui_cpu_.clear();
            frame_cpu_.clear();
            process_cpu_.clear();
            recording_ = true;
        }
        if (scroll_frames_left_ <= 0) {
            recording_ = false;
            return true;
        }
        --scroll_frames_left_;
        scroll_y_ += scroll_step_;
        // About 2 rows of 20 px per job at the default scale: wrap to the top past the end.
        float end = static_cast<float>(jobs_.history_size()) * 20.0f;
        if (end > 0 && scroll_y_ > end) scroll_y_ = 0;
        ui_.history_scroll_to = scroll_y_;
        return false;
    }
    if (cmd.name == "view") {
        std::string id = a.empty() || a[0] == "last" ? jobs_.started_job_id() : a[0];
        if (id.empty() && jobs_.history_size() > 0) id = jobs_.history_row(0).id;
        if (id.empty()) throw std::runtime_error("no job to view");
        ui_.view_job_id = id;
        ui_.open_view_popup = true;
        jobs_.open_job(id);
        return true;
    }
    if (cmd.name == "close_view") {
        ui_.view_job_id.clear();
        jobs_.close_job();
        return true;
    }
    if (cmd.name == "frames") {
        int n = a.empty() ? 1 : std::stoi(a[0]);
        return frames_in_step_ >= n;
    }
    if (cmd.name == "screenshot") {
        // Let the layout settle (tab switches and popups need a frame or two).
        if (frames_in_step_ == 0) {
            std::string name = a.empty() ? "screen" : a[0];
            pending_screenshot_ = screenshot_dir_ + "/" + name + ".png";
            screenshot_taken_ = false;
        }
        return screenshot_taken_;
    }
    if (cmd.name == "dump") {
        if (a.empty()) throw std::runtime_error("dump needs a file");
        std::ofstream out(a[0]);
        if (!out) throw std::runtime_error(a[0] + ": cannot write the state");
        out << state().dump(2) << "\n";
        return true;
    }
    if (cmd.name == "quit") {
        done_ = true;
        quit_ = true;
        return true;
    }
    throw std::runtime_error("unknown command '" + cmd.name + "'");
}

void TestDriver::after_render(int width, int height) {
    if (pending_screenshot_.empty()) return;
    // Screenshots wait for three frames in the step so the layout has settled.
    if (!failing_ && frames_in_step_ < 3) return;
    std::string err = save_framebuffer_png(pending_screenshot_, width, height);
    if (!err.empty()) std::fprintf(stderr, "htc-trainer test driver: %s\n", err.c_str());
    screenshots_.push_back(pending_screenshot_);
    pending_screenshot_.clear();
    screenshot_taken_ = true;
    if (failing_) done_ = quit_ = true;
}

json TestDriver::state() const {
    json files = json::array();
    for (const auto& e : c_.retrain_entries()) {
        json f = {{"name", e.name},
                  {"path", e.path},
                  {"type", e.type},
                  {"is_folder", e.is_folder},
                  {"size_bytes", e.size_bytes},
                  {"size_text", format_file_size(e.size_bytes)},
                  {"files", e.files.size()},
                  {"inspected", e.inspected()},
                  {"formats", e.formats()},
                  {"records", e.records()},
                  {"labelled", e.labelled()},
                  {"problems", e.problems()}};
        files.push_back(std::move(f));
    }
    json rejections = json::array();
    for (const auto& r : c_.last_rejections()) {
        rejections.push_back({{"path", r.path}, {"reason", r.reason}});
    }
    json uploads = json::array();
    for (const auto& d : c_.upload_docs()) {
        uploads.push_back({{"name", d.name}, {"path", d.path}, {"size_bytes", d.size_bytes}});
    }
    json toasts = json::array();
    for (const auto& t : c_.toasts()) toasts.push_back(t.text);
    json history = json::array();
    for (std::size_t i = 0; i < jobs_.history_size() && i < 50; ++i) {
        const auto& r = jobs_.history_row(i);
        history.push_back({{"id", r.id},
                           {"duration", r.duration},
                           {"status", r.status},
                           {"details", r.details},
                           {"model_version", r.model_version},
                           {"badge", r.status}});
    }
    json live = nullptr;
    if (const auto& l = jobs_.live_job()) {
        live = {{"id", l->id},
                {"status", l->status},
                {"stage", l->stage},
                {"progress", l->progress},
                {"curve_points", l->curve.size()}};
    }
    json finished = nullptr;
    if (const auto& f = jobs_.last_finished()) {
        finished = {{"id", f->id},
                    {"status", f->status},
                    {"details", f->details},
                    {"error", f->error},
                    {"version", f->version},
                    {"previous_version", f->previous_version},
                    {"promoted", f->promoted},
                    {"metrics", f->metrics},
                    {"previous_metrics", f->previous_metrics}};
    }
    json results = json::array();
    for (const auto& r : c_.upload_results()) {
        results.push_back({{"document", r.document},
                           {"predicted", r.predicted},
                           {"confidence", r.confidence},
                           {"top", r.top.size()},
                           {"file_label", r.file_label},
                           {"corrected", r.corrected},
                           {"model_version", r.model_version},
                           {"highlighted", r.min_confidence() < c_.confidence_threshold}});
    }
    json versions = json::array();
    for (const auto& m : c_.models()) versions.push_back(m.version);
    json comparison = c_.comparison() ? c_.comparison()->to_json() : json(nullptr);
    if (comparison.is_object()) {
        comparison.erase("curve_a");
        comparison.erase("curve_b");
    }
    json pinned = json::array();
    for (const auto& p : c_.pinned_sets()) pinned.push_back(p.name);
    auto active = c_.active_version();
    return {
        {"tab", tab_key(c_.active_tab())},
        {"first_run", first_run(c_, jobs_)},
        {"data_dir", c_.data_dir()},
        {"data_source", c_.data_source()},
        {"sample_dir", c_.sample_dir()},
        {"upload",
         {{"results", results},
          {"corrections_saved", c_.corrections_saved()},
          {"pending_feedback", c_.pending_feedback()},
          {"label_paths", c_.label_paths().size()},
          {"last_export", c_.last_predictions_export()}}},
        {"models",
         {{"versions", versions},
          {"previous_active", c_.previous_active() ? json(*c_.previous_active()) : json(nullptr)},
          {"comparison", comparison},
          {"pinned", pinned}}},
        {"active_version", active ? json(*active) : json(nullptr)},
        {"retrain_files", files},
        {"rejections", rejections},
        {"upload_docs", uploads},
        {"start_blocker", c_.start_blocker()},
        {"toasts", toasts},
        {"screenshots", screenshots_},
        {"frames_drawn", frames_},
        {"frames_at_script_end", frames_at_script_end_},
        {"max_frame_gap_seconds", max_frame_gap_},
        {"bench",
         {{"first_frame_epoch", first_frame_epoch_},
          {"history_ready_epoch", history_ready_epoch_},
          {"export_seconds", export_seconds_},
          {"ui_cpu", cpu_summary(ui_cpu_)},
          {"frame_cpu", cpu_summary(frame_cpu_)},
          {"process_cpu", cpu_summary(process_cpu_)}}},
        {"jobs",
         {{"started_job", jobs_.started_job_id()},
          {"max_progress_seen", max_progress_seen_},
          {"max_curve_points_seen", max_curve_points_seen_},
          {"live", live},
          {"finished", finished},
          {"queue_length", jobs_.queue_length()},
          {"history_rows", jobs_.history_size()},
          {"history_total", jobs_.history_total()},
          {"history_load_seconds", jobs_.last_history_seconds()},
          {"history", history},
          {"last_export", jobs_.last_export_path()},
          {"store_error", jobs_.store_error()}}}};
}

}  // namespace htc::app
