#pragma once
// The tabs and widgets of the window. Each draws from the controller's state and sends
// commands to it; none of them touches the disk, the job store or a training thread.
#include <imgui.h>

#include <cstdint>
#include <string>

#include "app/controller.h"
#include "app/fonts.h"
#include "app/proc_stats.h"

namespace htc::app {
class JobsModel;
}

namespace htc::ui {

// UI-only state that does not belong in the controller (text being typed, open popups).
struct UiState {
    char retrain_path[1024] = "";
    char upload_path[1024] = "";
    bool options_open = false;  // opens "Training options" once (test driver)
    char history_search[256] = "";
    std::string view_job_id;  // the job whose full record is open ("" = none)
    bool open_view_popup = false;
    bool select_tab_from_settings = true;  // the first frame selects the saved tab
    bool force_tab = false;                // the test driver (or a command) switched tabs
    // Document Upload: the row whose label picker is open (0 = none).
    std::uint64_t picker_row = 0;
    bool open_picker_popup = false;
    char picker_filter[256] = "";
    char picker_new_label[512] = "";
    std::string picker_selected;
    bool picker_confirm_new = false;
    // Models: the versions being compared, a pending rollback / delete confirmation.
    int compare_a = 0, compare_b = 0;
    int confirm_rollback = 0;  // version to roll back to (0 = none)
    int confirm_delete = 0;
    char pin_path[1024] = "";
    char watch_folder[1024] = "";
    char daily_time[16] = "";
    float scale = 1.0f;
    float requested_scale = 0;  // set by the Settings menu; applied between frames
    float history_scroll_to = -1;  // the test driver scrolls the history table (pixels; < 0 = none)
};

struct Frame {
    app::Controller& controller;
    app::JobsModel& jobs;
    const app::FontSet& fonts;
    UiState& state;
    app::ProcMonitor& proc;
};

// The whole window: menu, tab bar, the active tab, status bar, toasts.
void draw_main_window(Frame& f);

void draw_upload_tab(Frame& f);
// Model Retraining's content while the data folder is empty (first_run_view.cpp).
void draw_first_run(Frame& f);
void draw_retrain_tab(Frame& f);
void draw_history_tab(Frame& f);
void draw_models_tab(Frame& f);
void draw_status_bar(Frame& f, float height);
void draw_toasts(Frame& f);
// The full record of one job (files with per-file results, metrics, per-class table, log).
void draw_job_view_popup(Frame& f);

// ---- label_picker.cpp ----
// The "Correct label" popup of Document Upload: a filterable tree of the model's labels, and a
// new label after a confirmation. Returns true (and sets *chosen) when the user saved a label.
bool label_picker_popup(Frame& f, const std::string& predicted, std::string* chosen);

// ---- widgets.cpp ----
struct BadgeColors {
    ImU32 background, text;
};
// The seed's status colors: completed green, failed red, queued yellow, running blue,
// cancelled / interrupted (and anything else) gray.
BadgeColors status_colors(const std::string& status);
// A rounded pill with the status text.
void status_badge(const std::string& status);
// A dashed drop area; returns true when clicked.
bool drop_zone(const char* id, const char* title, const char* subtitle, const char* types,
               const app::FontSet& fonts, float height);
// Text (never a format string) with a tooltip holding the full text when it was shortened.
void text_with_tooltip(const std::string& shown, const std::string& full);
// A small "(?)" that explains a setting.
void help_marker(const char* text);
// Progress bar with a centred "NN%" overlay.
void progress_with_percent(double fraction, float width);
// Section heading in the heading font.
void heading(const app::FontSet& fonts, const char* text);
// Dimmed text.
void text_dim(const std::string& s);
// A button that does nothing (and looks disabled) when `enabled` is false, with a tooltip
// telling why.
bool button_enabled(const char* label, bool enabled, const std::string& why_disabled = "",
                    const ImVec2& size = ImVec2(0, 0));

}  // namespace htc::ui
