// Model Retraining tab.
//
// Sections: drop zone and path field | rejected items | Files to Retrain table | buttons |
//           training options | live job panel | finished job summary and comparison
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "app/format.h"
#include "app/jobs_model.h"
#include "ui/ui.h"

namespace htc::ui {

namespace {

void drop_area(Frame& f) {
    app::Controller& c = f.controller;
    const float h = ImGui::GetFontSize() * 6.5f;
    if (drop_zone("##retrain_drop", "Drag & drop feedback files here",
                  "Upload training data to improve model performance",
                  "(PDF, CSV, TSV, TXT, JSON, JSON Lines, or a folder whose sub-folders are "
                  "the labels)",
                  f.fonts, h)) {
        c.browse(app::Tab::Retrain);
    }
    if (ImGui::IsItemHovered()) {
        ImGui::SetTooltip(c.chooser_available() ? "Click to choose files"
                                                : "Drop files or folders on the window");
    }
    // Path field + Add + Browse...
    const float add_w = ImGui::CalcTextSize("Add").x + ImGui::GetStyle().FramePadding.x * 2;
    const float browse_w =
        ImGui::CalcTextSize("Browse...").x + ImGui::GetStyle().FramePadding.x * 2;
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x - add_w - browse_w -
                            ImGui::GetStyle().ItemSpacing.x * 2);
    bool enter = ImGui::InputTextWithHint("##retrain_path", "or type a file or folder path",
                                          f.state.retrain_path, sizeof f.state.retrain_path,
                                          ImGuiInputTextFlags_EnterReturnsTrue);
    ImGui::SameLine();
    if ((button_enabled("Add", f.state.retrain_path[0] != 0) || enter) &&
        f.state.retrain_path[0] != 0) {
        c.add_retrain_paths({f.state.retrain_path});
        f.state.retrain_path[0] = 0;
    }
    ImGui::SameLine();
    std::string why = c.chooser_available()
                          ? (c.chooser_open() ? "A file chooser is already open" : "")
                          : "Install zenity or kdialog for a file chooser";
    if (button_enabled("Browse...", c.chooser_available() && !c.chooser_open(), why)) {
        c.browse(app::Tab::Retrain);
    }
}

void rejections(Frame& f) {
    app::Controller& c = f.controller;
    const auto& rej = c.last_rejections();
    if (rej.empty() || c.rejections_tab() != app::Tab::Retrain) return;
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.60f, 0.11f, 0.11f, 1));
    ImGui::Text("Not added (%d):", static_cast<int>(rej.size()));
    ImGui::PopStyleColor();
    ImGui::SameLine();
    if (ImGui::SmallButton("Dismiss##rej")) {
        c.dismiss_rejections();
        return;
    }
    const float line = ImGui::GetTextLineHeightWithSpacing();
    const float h = std::min<float>(static_cast<float>(rej.size()), 4.0f) * line +
                    ImGui::GetStyle().WindowPadding.y;
    ImGui::BeginChild("##rejections", ImVec2(0, h), false);
    ImGuiListClipper clip;
    clip.Begin(static_cast<int>(rej.size()));
    while (clip.Step()) {
        for (int i = clip.DisplayStart; i < clip.DisplayEnd; ++i) {
            std::string s = app::rejection_name(rej[i]) + ": " + rej[i].reason;
            text_with_tooltip(app::truncate_utf8(s, 160), rej[i].path + "\n" + rej[i].reason);
        }
    }
    ImGui::EndChild();
}

void file_table(Frame& f) {
    app::Controller& c = f.controller;
    const auto& entries = c.retrain_entries();
    std::size_t records = 0, labelled = 0, files = 0;
    for (const auto& e : entries) {
        records += e.records();
        labelled += e.labelled();
        files += e.files.size();
    }
    heading(f.fonts, "Files to Retrain:");
    ImGui::SameLine();
    char summary[160];
    std::snprintf(summary, sizeof summary, "%zu item(s), %zu file(s), %zu records, %zu labelled",
                  entries.size(), files, records, labelled);
    ImGui::AlignTextToFramePadding();
    text_dim(summary);
    if (c.busy_with_files()) {
        ImGui::SameLine();
        text_dim("counting...");
    }
    if (entries.empty()) {
        text_dim("No files yet.");
        return;
    }
    const float row_h = ImGui::GetTextLineHeight() + ImGui::GetStyle().CellPadding.y * 2 + 1;
    const float rows = std::min<float>(static_cast<float>(entries.size()), 10.0f) + 1.0f;
    ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg |
                            ImGuiTableFlags_Resizable | ImGuiTableFlags_ScrollY |
                            ImGuiTableFlags_SizingStretchProp;
    if (!ImGui::BeginTable("retrain_files", 8, flags, ImVec2(0, rows * row_h + 4))) return;
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("Type", ImGuiTableColumnFlags_WidthFixed, ImGui::GetFontSize() * 3.8f);
    ImGui::TableSetupColumn("Name", ImGuiTableColumnFlags_WidthStretch, 3.0f);
    ImGui::TableSetupColumn("Size", ImGuiTableColumnFlags_WidthFixed, ImGui::GetFontSize() * 5.5f);
    ImGui::TableSetupColumn("Format", ImGuiTableColumnFlags_WidthStretch, 1.3f);
    ImGui::TableSetupColumn("Records", ImGuiTableColumnFlags_WidthFixed,
                            ImGui::GetFontSize() * 4.6f);
    ImGui::TableSetupColumn("Labelled", ImGuiTableColumnFlags_WidthFixed,
                            ImGui::GetFontSize() * 4.6f);
    ImGui::TableSetupColumn("Warnings", ImGuiTableColumnFlags_WidthStretch, 2.2f);
    ImGui::TableSetupColumn("##remove", ImGuiTableColumnFlags_WidthFixed,
                            ImGui::GetFontSize() * 1.6f);
    ImGui::TableHeadersRow();
    std::uint64_t remove_id = 0;
    ImGuiListClipper clip;
    clip.Begin(static_cast<int>(entries.size()));
    while (clip.Step()) {
        for (int i = clip.DisplayStart; i < clip.DisplayEnd; ++i) {
            const app::RetrainEntry& e = entries[i];
            ImGui::PushID(static_cast<int>(e.id));
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(e.type.c_str());
            ImGui::TableNextColumn();
            std::string name =
                e.is_folder ? e.name + "/  (" + std::to_string(e.files.size()) + " files)" : e.name;
            ImGui::TextUnformatted(name.c_str());
            if (ImGui::IsItemHovered()) {
                // The full path: names repeat across folders.
                ImGui::BeginTooltip();
                ImGui::TextUnformatted(e.path.c_str());
                if (e.is_folder) {
                    ImGui::Separator();
                    std::size_t shown = 0;
                    for (const auto& file : e.files) {
                        if (++shown > 12) {
                            ImGui::Text("... and %zu more", e.files.size() - 12);
                            break;
                        }
                        std::string line = app::base_name(file.path) + "  [" +
                                           (file.folder_label.empty() ? "-" : file.folder_label) +
                                           "]";
                        if (file.done) {
                            line += "  " + std::to_string(file.report.records) + " records";
                        }
                        ImGui::TextUnformatted(line.c_str());
                    }
                }
                ImGui::EndTooltip();
            }
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(app::format_file_size(e.size_bytes).c_str());
            ImGui::TableNextColumn();
            if (e.inspected()) {
                std::string fm = e.formats();
                text_with_tooltip(app::truncate_utf8(fm.empty() ? "-" : fm, 40), fm);
            } else {
                char buf[64];
                std::snprintf(buf, sizeof buf, "counting %zu/%zu", e.files_done(), e.files.size());
                text_dim(buf);
            }
            ImGui::TableNextColumn();
            if (e.inspected()) ImGui::Text("%zu", e.records());
            ImGui::TableNextColumn();
            if (e.inspected()) {
                bool none = e.labelled() == 0;
                if (none) ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.71f, 0.33f, 0.04f, 1));
                ImGui::Text("%zu", e.labelled());
                if (none) ImGui::PopStyleColor();
            }
            ImGui::TableNextColumn();
            if (e.inspected()) {
                auto problems = e.problems();
                bool has_error = std::any_of(e.files.begin(), e.files.end(),
                                             [](const auto& x) { return !x.report.error.empty(); });
                if (problems.empty()) {
                    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.09f, 0.40f, 0.20f, 1));
                    ImGui::TextUnformatted("ok");
                    ImGui::PopStyleColor();
                } else {
                    ImGui::PushStyleColor(ImGuiCol_Text, has_error
                                                             ? ImVec4(0.60f, 0.11f, 0.11f, 1)
                                                             : ImVec4(0.57f, 0.25f, 0.05f, 1));
                    std::string all;
                    for (const auto& p : problems) all += (all.empty() ? "" : "\n") + p;
                    std::string shown = problems.front();
                    if (problems.size() > 1) {
                        shown = "(" + std::to_string(problems.size()) + ") " + shown;
                    }
                    text_with_tooltip(app::truncate_utf8(shown, 60), all);
                    ImGui::PopStyleColor();
                }
            }
            ImGui::TableNextColumn();
            ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.86f, 0.15f, 0.15f, 1));
            if (ImGui::SmallButton("x")) remove_id = e.id;
            ImGui::PopStyleColor();
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("Remove file");
            ImGui::PopID();
        }
    }
    ImGui::EndTable();
    if (remove_id) c.remove_retrain_entry(remove_id);
}

void training_options(Frame& f) {
    app::TrainingForm& t = f.controller.settings().training;
    bool changed = false;
    if (f.state.options_open) {
        ImGui::SetNextItemOpen(true, ImGuiCond_Always);
        f.state.options_open = false;
    }
    if (!ImGui::CollapsingHeader("Training options")) return;
    ImGui::Indent();
    const float w = ImGui::GetFontSize() * 10;
    const char* engines[] = {"auto", "linear", "fasttext"};
    int engine = 0;
    for (int i = 0; i < 3; ++i) {
        if (t.engine == engines[i]) engine = i;
    }
    ImGui::SetNextItemWidth(w);
    if (ImGui::Combo("Engine", &engine, engines, 3)) {
        t.engine = engines[engine];
        changed = true;
    }
    ImGui::SameLine();
    help_marker(
        "auto picks by corpus size. linear: TF-IDF word 1-2-grams + LIBLINEAR, strong on "
        "small data with many classes. fasttext: fast on large corpora.");
    if (t.engine != "fasttext") {
        float C = static_cast<float>(t.params.C);
        ImGui::SetNextItemWidth(w);
        if (ImGui::InputFloat("C (linear)", &C, 0.1f, 1.0f, "%.3f")) {
            t.params.C = std::clamp(static_cast<double>(C), 1e-4, 1e4);
            changed = true;
        }
        ImGui::SetNextItemWidth(w);
        if (ImGui::InputInt("Min document frequency (0 = default)", &t.params.min_df)) {
            t.params.min_df = std::clamp(t.params.min_df, 0, 1000);
            changed = true;
        }
    }
    if (t.engine != "linear") {
        ImGui::SetNextItemWidth(w);
        if (ImGui::InputInt("Epochs (fastText, 0 = default)", &t.params.epochs)) {
            t.params.epochs = std::clamp(t.params.epochs, 0, 1000);
            changed = true;
        }
        float lr = static_cast<float>(t.params.lr);
        ImGui::SetNextItemWidth(w);
        if (ImGui::InputFloat("Learning rate (fastText, 0 = default)", &lr, 0.05f, 0.5f, "%.3f")) {
            t.params.lr = std::clamp(static_cast<double>(lr), 0.0, 10.0);
            changed = true;
        }
        ImGui::SetNextItemWidth(w);
        if (ImGui::InputInt("Dimensions (fastText, 0 = auto)", &t.params.dim)) {
            t.params.dim = std::clamp(t.params.dim, 0, 1000);
            changed = true;
        }
    }
    ImGui::SetNextItemWidth(w);
    if (ImGui::InputInt("Threads (0 = all cores)", &t.params.threads)) {
        t.params.threads = std::clamp(t.params.threads, 0, 256);
        changed = true;
    }
    float val = static_cast<float>(t.validation_fraction);
    ImGui::SetNextItemWidth(w);
    if (ImGui::SliderFloat("Validation fraction", &val, 0.05f, 0.5f, "%.2f")) {
        t.validation_fraction = val;
        changed = true;
    }
    float minc = static_cast<float>(t.min_confidence);
    ImGui::SetNextItemWidth(w);
    if (ImGui::SliderFloat("Min confidence", &minc, 0.0f, 0.99f, "%.2f")) {
        t.min_confidence = minc;
        changed = true;
    }
    ImGui::SameLine();
    help_marker("Predictions stop at the deepest level at least this sure (Document Upload).");
    const char* policies[] = {"if-not-worse", "always", "never"};
    int policy = 0;
    for (int i = 0; i < 3; ++i) {
        if (t.promote == policies[i]) policy = i;
    }
    ImGui::SetNextItemWidth(w);
    if (ImGui::Combo("Promote", &policy, policies, 3)) {
        t.promote = policies[policy];
        changed = true;
    }
    ImGui::SameLine();
    help_marker(
        "if-not-worse: the new model becomes active only when its hierarchical F1 on the "
        "validation split is not worse than the active model's.");
    changed |=
        ImGui::Checkbox("Train on the active model's corpus plus these files", &t.extend_corpus);
    changed |= ImGui::Checkbox("Mask e-mail addresses, URLs and phone numbers", &t.mask_pii);
    ImGui::Separator();
    text_dim("Reader overrides (empty = detected):");
    static char text_col[128], label_cols[128], label_sep[16];
    auto field = [&](const char* label, const char* hint, std::string& value, char* buf, size_t n) {
        std::snprintf(buf, n, "%s", value.c_str());
        ImGui::SetNextItemWidth(w);
        if (ImGui::InputTextWithHint(label, hint, buf, n)) {
            value = buf;
            changed = true;
        }
    };
    field("Text column", "e.g. text or 1", t.text_col, text_col, sizeof text_col);
    field("Label columns", "e.g. label or 2,3,4", t.label_cols, label_cols, sizeof label_cols);
    field("Label separator", "/", t.label_sep, label_sep, sizeof label_sep);
    if (ImGui::Button("Apply to files")) f.controller.reinspect_retrain_files();
    ImGui::SameLine();
    text_dim("counts the records again with these columns");
    ImGui::Unindent();
    if (changed) f.controller.note_change();
}

void metric_row(const char* name, const nlohmann::json& before, const nlohmann::json& after,
                const char* key, int index = -1) {
    auto get = [&](const nlohmann::json& m) -> double {
        if (!m.is_object()) return NAN;
        auto it = m.find(key);
        if (it == m.end()) return NAN;
        if (index >= 0) {
            if (!it->is_array() || static_cast<int>(it->size()) <= index) return NAN;
            const auto& v = (*it)[index];
            return v.is_number() ? v.get<double>() : NAN;
        }
        return it->is_number() ? it->get<double>() : NAN;
    };
    double b = get(before), a = get(after);
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(name);
    ImGui::TableNextColumn();
    if (std::isnan(b))
        text_dim("-");
    else
        ImGui::Text("%.3f", b);
    ImGui::TableNextColumn();
    if (std::isnan(a))
        text_dim("-");
    else
        ImGui::Text("%.3f", a);
    ImGui::TableNextColumn();
    if (!std::isnan(a) && !std::isnan(b)) {
        double d = a - b;
        ImVec4 col = d > 0.0005    ? ImVec4(0.09f, 0.40f, 0.20f, 1)
                     : d < -0.0005 ? ImVec4(0.60f, 0.11f, 0.11f, 1)
                                   : ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled);
        ImGui::TextColored(col, "%+.3f", d);
    }
}

void live_panel(Frame& f) {
    app::JobsModel& jobs = f.jobs;
    const auto& live = jobs.live_job();
    if (!live) return;
    ImGui::Separator();
    heading(f.fonts, "Running job");
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted(("Job " + app::short_job_id(live->id)).c_str());
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", live->id.c_str());
    ImGui::SameLine();
    status_badge(live->status);
    ImGui::SameLine();
    ImGui::TextUnformatted(("Stage: " + (live->stage.empty() ? "-" : live->stage)).c_str());
    const float cancel_w = ImGui::CalcTextSize("Cancel").x + ImGui::GetStyle().FramePadding.x * 2;
    const float eta_w = ImGui::GetFontSize() * 11;
    progress_with_percent(live->progress, ImGui::GetContentRegionAvail().x - cancel_w - eta_w -
                                              ImGui::GetStyle().ItemSpacing.x * 2);
    ImGui::SameLine();
    std::string eta = "ETA " + (live->eta_seconds >= 0 ? app::format_duration(live->eta_seconds)
                                                       : std::string("-"));
    ImGui::SetNextItemWidth(eta_w);
    ImGui::TextUnformatted(eta.c_str());
    ImGui::SameLine(ImGui::GetContentRegionMax().x - cancel_w);
    if (ImGui::Button("Cancel")) jobs.cancel(live->id);
    if (!live->curve.empty()) {
        std::string label = live->metric_name.empty() ? "curve" : live->metric_name;
        char overlay[96];
        std::snprintf(overlay, sizeof overlay, "%s: %.4f", label.c_str(), live->curve.back());
        ImGui::PlotLines("##curve", live->curve.data(), static_cast<int>(live->curve.size()), 0,
                         overlay, FLT_MAX, FLT_MAX,
                         ImVec2(ImGui::GetContentRegionAvail().x, ImGui::GetFontSize() * 5));
    } else {
        text_dim("The training curve appears when the engine reports it.");
    }
    ImGui::Separator();
}

void finished_panel(Frame& f) {
    app::JobsModel& jobs = f.jobs;
    const auto& fin = jobs.last_finished();
    if (!fin) return;
    ImGui::Separator();
    heading(f.fonts, "Last retrain");
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted(("Job " + app::short_job_id(fin->id)).c_str());
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", fin->id.c_str());
    ImGui::SameLine();
    status_badge(fin->status);
    ImGui::SameLine();
    ImGui::TextUnformatted(("in " + app::format_duration(fin->duration)).c_str());
    ImGui::SameLine();
    if (ImGui::SmallButton("View")) {
        f.state.view_job_id = fin->id;
        f.state.open_view_popup = true;
        jobs.open_job(fin->id);
    }
    ImGui::SameLine();
    if (ImGui::SmallButton("Dismiss##fin")) {
        jobs.dismiss_finished();
        return;
    }
    ImGui::PushTextWrapPos(0);
    if (!fin->details.empty()) ImGui::TextUnformatted(fin->details.c_str());
    if (!fin->error.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.60f, 0.11f, 0.11f, 1));
        ImGui::TextUnformatted(fin->error.c_str());
        ImGui::PopStyleColor();
    }
    if (fin->version > 0) {
        std::string promo = "Model v" + std::to_string(fin->version) +
                            (fin->promoted ? " is now active" : " was registered, not activated");
        if (!fin->promotion_reason.empty()) promo += ": " + fin->promotion_reason;
        ImGui::TextUnformatted(promo.c_str());
    }
    ImGui::PopTextWrapPos();
    if (!fin->metrics.is_object()) {
        ImGui::Separator();
        return;
    }
    std::string before = fin->previous_version > 0
                             ? "Before (v" + std::to_string(fin->previous_version) + ")"
                             : std::string("Before (none)");
    std::string after = "After (v" + std::to_string(fin->version) + ")";
    ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg |
                            ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_NoHostExtendX;
    if (ImGui::BeginTable("comparison", 4, flags)) {
        ImGui::TableSetupColumn("Metric");
        ImGui::TableSetupColumn(before.c_str());
        ImGui::TableSetupColumn(after.c_str());
        ImGui::TableSetupColumn("Change");
        ImGui::TableHeadersRow();
        const auto& m = fin->metrics;
        const auto& p = fin->previous_metrics;
        std::size_t levels = 0;
        if (auto it = m.find("level_accuracy"); it != m.end() && it->is_array()) {
            levels = it->size();
        }
        for (std::size_t l = 0; l < levels; ++l) {
            std::string name = "Accuracy level " + std::to_string(l + 1);
            metric_row(name.c_str(), p, m, "level_accuracy", static_cast<int>(l));
        }
        metric_row("Leaf accuracy", p, m, "leaf_accuracy");
        metric_row("Micro F1", p, m, "micro_f1");
        metric_row("Macro F1", p, m, "macro_f1");
        metric_row("Hierarchical F1", p, m, "h_f1");
        ImGui::EndTable();
    }
    ImGui::Separator();
}

}  // namespace

void draw_retrain_tab(Frame& f) {
    app::Controller& c = f.controller;
    drop_area(f);
    rejections(f);
    ImGui::Spacing();
    file_table(f);
    ImGui::Spacing();
    if (button_enabled("Clear Files", !c.retrain_entries().empty(), "The list is empty")) {
        c.clear_retrain_files();
    }
    ImGui::SameLine();
    std::string why = c.start_blocker();
    if (why.empty() && f.jobs.submitting()) why = "Submitting...";
    if (why.empty() && !f.jobs.store_error().empty()) why = f.jobs.store_error();
    ImGui::PushStyleColor(ImGuiCol_Button, ImVec4(0.49f, 0.23f, 0.93f, 1));
    ImGui::PushStyleColor(ImGuiCol_ButtonHovered, ImVec4(0.43f, 0.16f, 0.85f, 1));
    ImGui::PushStyleColor(ImGuiCol_ButtonActive, ImVec4(0.36f, 0.13f, 0.71f, 1));
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1, 1, 1, 1));
    bool start = button_enabled("Start Retrain", why.empty(), why);
    ImGui::PopStyleColor(4);
    if (start) f.jobs.start_retrain();
    if (!why.empty()) {
        ImGui::SameLine();
        ImGui::AlignTextToFramePadding();
        text_dim(why);
    }
    // The running job and the last result come before the options: they are what the user
    // watches after pressing Start Retrain.
    live_panel(f);
    finished_panel(f);
    ImGui::Spacing();
    training_options(f);
}

}  // namespace htc::ui
