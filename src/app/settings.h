#pragma once
// The window's own settings, kept beside imgui.ini in the data folder as gui-settings.json.
// ImGui's ini keeps window and table layout (column widths, sort order); this file keeps what
// ImGui does not know about.
#include <string>

#include "model/engine.h"

namespace htc::app {

// The "Training options" form of the Retrain tab.
struct TrainingForm {
    std::string engine = "auto";  // auto, linear, fasttext
    EngineParams params;
    double validation_fraction = 0.2;
    std::string promote = "if-not-worse";  // if-not-worse, always, never
    bool extend_corpus = true;
    bool mask_pii = true;
    double min_confidence = 0.0;  // predictions stop at the deepest level at least this sure
    // Reader overrides (empty = detected), as the CLI's --text-col / --label-cols / --label-sep.
    std::string text_col, label_cols, label_sep = "/";
};

struct GuiSettings {
    double scale = 0;             // 0 = from the monitor's content scale
    std::string tab = "retrain";  // upload, retrain, history, models
    int window_width = 1280, window_height = 820;
    bool maximized = false;
    TrainingForm training;
    std::string history_status;  // "" = all
};

// Missing file: defaults. A damaged file: defaults and a one-line warning naming it.
GuiSettings load_settings(const std::string& path, std::string* warning);
// Written through a temporary file and a rename. Throws std::runtime_error naming the path.
void save_settings(const std::string& path, const GuiSettings& s);

}  // namespace htc::app
