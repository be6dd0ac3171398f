// The first-run view, shown on Model Retraining while the data folder is empty: what to do
// (drop labelled files), the bundled sample in one click, what a retrain does, and where the
// data is kept.
#include <string>

#include "app/first_run.h"
#include "app/jobs_model.h"
#include "ui/ui.h"

namespace htc::ui {

namespace {

ImVec4 hex(unsigned v) {
    return ImVec4(((v >> 16) & 0xFF) / 255.0f, ((v >> 8) & 0xFF) / 255.0f, (v & 0xFF) / 255.0f,
                  1.0f);
}

// The primary action: a filled purple button with white text (purple-600, hover purple-700).
bool primary_button(const char* label, bool enabled, const std::string& why_disabled) {
    ImGui::PushStyleColor(ImGuiCol_Button, hex(0x7C3AED));
    ImGui::PushStyleColor(ImGuiCol_ButtonHovered, hex(0x6D28D9));
    ImGui::PushStyleColor(ImGuiCol_ButtonActive, hex(0x5B21B6));
    ImGui::PushStyleColor(ImGuiCol_Text, hex(0xFFFFFF));
    ImGui::PushStyleColor(ImGuiCol_Border, hex(0x6D28D9));
    const ImVec2 pad = ImGui::GetStyle().FramePadding;
    ImGui::PushStyleVar(ImGuiStyleVar_FramePadding, ImVec2(pad.x * 2.0f, pad.y * 1.8f));
    bool pressed = button_enabled(label, enabled, why_disabled);
    ImGui::PopStyleVar();
    ImGui::PopStyleColor(5);
    return pressed;
}

void step(int n, const char* title, const char* text) {
    ImGui::Text("%d.", n);
    ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::TextUnformatted(title);
    ImGui::PushStyleColor(ImGuiCol_Text, hex(0x4B5563));
    ImGui::TextWrapped("%s", text);
    ImGui::PopStyleColor();
    ImGui::EndGroup();
}

}  // namespace

void draw_first_run(Frame& f) {
    app::Controller& c = f.controller;
    const float em = ImGui::GetFontSize();
    heading(f.fonts, "Welcome to HTC Trainer");
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextUnformatted(
        "There is no model yet. Train the first one from labelled feedback: files in which "
        "every text carries a label path such as Science/Physics/Optics.");
    ImGui::PopTextWrapPos();
    ImGui::Dummy(ImVec2(0, em * 0.3f));

    if (drop_zone("##first_run_drop", "Drop labelled files here to train the first model",
                  "Drop them anywhere on this window, or click here to choose them",
                  "(CSV, TSV, JSON, JSON Lines, TXT, PDF, or a folder whose sub-folders are "
                  "the labels)",
                  f.fonts, em * 6.5f)) {
        c.browse(app::Tab::Retrain);
    }
    if (ImGui::IsItemHovered()) {
        ImGui::SetTooltip(c.chooser_available() ? "Click to choose files"
                                                : "Drop files or folders on the window");
    }

    ImGui::Dummy(ImVec2(0, em * 0.6f));
    heading(f.fonts, "No labelled files at hand?");
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextUnformatted(
        "Train on the bundled sample: 300 short texts labelled in three levels "
        "(Arts, Science, Technology and their sub-topics).");
    ImGui::PopTextWrapPos();
    ImGui::Dummy(ImVec2(0, em * 0.2f));
    const bool have_sample = !c.sample_dir().empty();
    const bool busy = f.jobs.submitting();
    std::string why = !have_sample ? "The bundled sample is not installed"
                      : busy        ? "A job is being submitted"
                                    : "";
    if (primary_button("Train on the sample data", have_sample && !busy, why)) {
        app::train_on_sample(c, f.jobs);
    }
    ImGui::SameLine(0, em);
    ImGui::AlignTextToFramePadding();
    text_dim(have_sample ? c.sample_dir() : std::string("(not installed)"));

    ImGui::Dummy(ImVec2(0, em * 0.6f));
    ImGui::Separator();
    ImGui::Dummy(ImVec2(0, em * 0.3f));
    heading(f.fonts, "What happens next");
    step(1, "Files are read and checked.",
         "Each file shows its format, records and labelled records; rows that cannot be used "
         "are listed with the reason.");
    step(2, "Start Retrain trains a model in the background.",
         "20% of each class is held out to evaluate it; progress, ETA and a live curve show "
         "while it runs, and Cancel stops it.");
    step(3, "The model becomes active.",
         "Classify documents on Document Upload, follow every job on Training History and "
         "switch versions on Models. Later feedback trains a new version, made active only "
         "when it is not worse.");

    ImGui::Dummy(ImVec2(0, em * 0.6f));
    ImGui::Separator();
    ImGui::Dummy(ImVec2(0, em * 0.3f));
    ImGui::TextUnformatted("Data folder:");
    ImGui::SameLine();
    std::string where = c.data_dir_absolute();
    ImGui::TextUnformatted(where.c_str());
    if (!c.data_source().empty()) {
        ImGui::SameLine();
        text_dim("(" + c.data_source() + ")");
    }
    ImGui::PushTextWrapPos(0.0f);
    text_dim(
        "Models, the job history and copies of the submitted files are kept here. Choose "
        "another folder with --data-dir or HTC_DATA_DIR; the command line (htc-trainer "
        "--help) uses the same folder.");
    ImGui::PopTextWrapPos();
}

}  // namespace htc::ui
