// Document Upload tab: documents dropped here are classified in the background with the active
// model; each result row shows the predicted path, a confidence bar per level, the top 3
// classes and the model version, and can be corrected with the label picker. Corrections are
// stored as feedback and retrain the model ("Retrain with corrections", or Auto Sync).
//
// Sections: drop zone and path entry | toolbar (classify again, export, threshold,
// corrections and Auto Sync) | documents | results table | label picker popup.
#include <cmath>
#include <cstdio>
#include <string>

#include "app/format.h"
#include "app/jobs_model.h"
#include "ui/ui.h"

namespace htc::ui {

namespace {

constexpr ImU32 kLow = IM_COL32(0xFE, 0xF3, 0xC7, 0xFF);      // amber-100: below threshold
constexpr ImU32 kBarOk = IM_COL32(0x22, 0xC5, 0x5E, 0xFF);    // green-500
constexpr ImU32 kBarLow = IM_COL32(0xF5, 0x9E, 0x0B, 0xFF);   // amber-500
constexpr ImU32 kBarBack = IM_COL32(0xE5, 0xE7, 0xEB, 0xFF);  // gray-200
constexpr ImU32 kBarText = IM_COL32(0x1F, 0x29, 0x37, 0xFF);

std::string fixed2(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.2f", v);
    return b;
}

// One bar per level, side by side, with the confidence written on it.
void confidence_bars(const std::vector<double>& conf, float threshold) {
    const float em = ImGui::GetFontSize();
    const float width = ImGui::GetContentRegionAvail().x;
    const float h = ImGui::GetTextLineHeight();
    if (conf.empty()) {
        ImGui::TextUnformatted("-");
        return;
    }
    const float gap = em * 0.25f;
    const float w = std::max(em * 1.8f, (width - gap * (conf.size() - 1)) / conf.size());
    ImVec2 pos = ImGui::GetCursorScreenPos();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    for (std::size_t i = 0; i < conf.size(); ++i) {
        float x = pos.x + i * (w + gap);
        dl->AddRectFilled(ImVec2(x, pos.y + 1), ImVec2(x + w, pos.y + h - 1), kBarBack, 3);
        float fill = static_cast<float>(std::clamp(conf[i], 0.0, 1.0)) * w;
        dl->AddRectFilled(ImVec2(x, pos.y + 1), ImVec2(x + fill, pos.y + h - 1),
                          conf[i] < threshold ? kBarLow : kBarOk, 3);
        std::string t = fixed2(conf[i]);
        ImVec2 ts = ImGui::CalcTextSize(t.c_str());
        dl->AddText(ImVec2(x + (w - ts.x) * 0.5f, pos.y), kBarText, t.c_str());
    }
    ImGui::Dummy(ImVec2(conf.size() * (w + gap) - gap, h));
    if (ImGui::IsItemHovered()) {
        std::string tip;
        for (std::size_t i = 0; i < conf.size(); ++i)
            tip += "Level " + std::to_string(i + 1) + ": " + fixed2(conf[i]) + "\n";
        ImGui::SetTooltip("%s", tip.c_str());
    }
}

void draw_toolbar(Frame& f) {
    app::Controller& c = f.controller;
    const float em = ImGui::GetFontSize();
    if (button_enabled("Classify again", !c.upload_docs().empty() && !c.classifying(),
                       c.classifying() ? "Classifying..." : "Add documents first")) {
        c.classify_uploads(true);
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Classify every document with the active model");
    ImGui::SameLine();
    if (button_enabled("Export CSV", !c.upload_results().empty(), "Nothing classified yet")) {
        c.export_predictions();
    }
    ImGui::SameLine();
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("Highlight below");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(em * 7);
    ImGui::SliderFloat("##threshold", &c.confidence_threshold, 0.0f, 1.0f, "%.2f");
    ImGui::SameLine();
    help_marker("Rows whose lowest level confidence is below this are highlighted.");

    ImGui::SameLine(0, em * 1.5f);
    std::string label =
        "Retrain with corrections (" + std::to_string(c.pending_feedback()) + ")##retrain_corr";
    if (button_enabled(label.c_str(), c.pending_feedback() > 0 && !f.jobs.submitting(),
                       "Correct a prediction first: corrections become training data")) {
        f.jobs.retrain_with_corrections();
    }
    if (ImGui::IsItemHovered() && c.pending_feedback() > 0)
        ImGui::SetTooltip("Queue a retrain job with the %zu pending correction(s)",
                          c.pending_feedback());
    ImGui::SameLine();
    jobs::ScheduleSettings s = c.schedule();
    bool changed = ImGui::Checkbox("Auto Sync after", &s.auto_sync);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(em * 5.5f);
    changed |= ImGui::InputInt("##autosync_n", &s.auto_sync_after, 1, 10);
    ImGui::SameLine();
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("corrections");
    ImGui::SameLine();
    help_marker(
        "Auto Sync queues a retrain with the corrections by itself once this many are "
        "pending. Off by default.");
    if (changed) {
        s.auto_sync_after = std::max(1, s.auto_sync_after);
        c.update_schedule(s);
    }
}

void draw_documents(Frame& f) {
    app::Controller& c = f.controller;
    const auto& docs = c.upload_docs();
    std::string header = "Documents (" + std::to_string(docs.size()) + ")###upload_docs_header";
    if (!ImGui::CollapsingHeader(header.c_str())) return;
    ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg |
                            ImGuiTableFlags_ScrollY | ImGuiTableFlags_SizingStretchProp;
    const float em = ImGui::GetFontSize();
    float h = std::min<float>(em * 10, ImGui::GetFrameHeight() * (docs.size() + 1.5f));
    if (!ImGui::BeginTable("upload_docs", 5, flags, ImVec2(0, h))) return;
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("Type", ImGuiTableColumnFlags_WidthFixed, em * 3.8f);
    ImGui::TableSetupColumn("Name", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableSetupColumn("Size", ImGuiTableColumnFlags_WidthFixed, em * 5.5f);
    ImGui::TableSetupColumn("Status", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableSetupColumn("##remove", ImGuiTableColumnFlags_WidthFixed, em * 1.6f);
    ImGui::TableHeadersRow();
    std::uint64_t remove_id = 0;
    for (const auto& d : docs) {
        ImGui::PushID(static_cast<int>(d.id));
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(d.type.c_str());
        ImGui::TableNextColumn();
        text_with_tooltip(d.name, d.path);
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(app::format_file_size(d.size_bytes).c_str());
        ImGui::TableNextColumn();
        if (d.status.classifying) {
            text_dim("classifying...");
        } else if (!d.status.error.empty()) {
            ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.60f, 0.11f, 0.11f, 1));
            text_with_tooltip(d.status.error, d.status.error);
            ImGui::PopStyleColor();
        } else if (d.status.done) {
            ImGui::TextUnformatted((std::to_string(d.status.records) + " classified").c_str());
        } else {
            text_dim("waiting");
        }
        ImGui::TableNextColumn();
        if (ImGui::SmallButton("x")) remove_id = d.id;
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("Remove document and its results");
        ImGui::PopID();
    }
    ImGui::EndTable();
    if (remove_id) c.remove_upload_doc(remove_id);
}

void draw_results(Frame& f) {
    app::Controller& c = f.controller;
    const auto& rows = c.upload_results();
    const float em = ImGui::GetFontSize();
    ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg |
                            ImGuiTableFlags_ScrollY | ImGuiTableFlags_Resizable |
                            ImGuiTableFlags_SizingStretchProp;
    if (!ImGui::BeginTable("upload_results", 6, flags, ImVec2(0, ImGui::GetContentRegionAvail().y)))
        return;
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("Document", ImGuiTableColumnFlags_WidthStretch, 1.2f);
    ImGui::TableSetupColumn("Predicted path", ImGuiTableColumnFlags_WidthStretch, 1.8f);
    ImGui::TableSetupColumn("Confidence per level", ImGuiTableColumnFlags_WidthFixed, em * 9.5f);
    ImGui::TableSetupColumn("Top 3 alternatives", ImGuiTableColumnFlags_WidthStretch, 2.0f);
    ImGui::TableSetupColumn("Model", ImGuiTableColumnFlags_WidthFixed, em * 3.2f);
    ImGui::TableSetupColumn("Correction", ImGuiTableColumnFlags_WidthStretch, 1.6f);
    ImGui::TableHeadersRow();
    ImGuiListClipper clip;
    clip.Begin(static_cast<int>(rows.size()));
    while (clip.Step()) {
        for (int i = clip.DisplayStart; i < clip.DisplayEnd; ++i) {
            const auto& r = rows[static_cast<std::size_t>(i)];
            ImGui::PushID(static_cast<int>(r.id));
            ImGui::TableNextRow();
            if (r.min_confidence() < c.confidence_threshold)
                ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg0, kLow);
            ImGui::TableNextColumn();
            text_with_tooltip(r.document, r.document + "\n\n" + r.snippet);
            ImGui::TableNextColumn();
            text_with_tooltip(r.predicted, r.predicted);
            ImGui::TableNextColumn();
            confidence_bars(r.confidence, c.confidence_threshold);
            ImGui::TableNextColumn();
            std::string top;
            for (std::size_t k = 0; k < r.top.size(); ++k)
                top += (k ? "  |  " : "") + app::base_name(r.top[k].first) + " " +
                       fixed2(r.top[k].second);
            std::string top_full;
            for (const auto& [p, prob] : r.top) top_full += p + "  " + fixed2(prob) + "\n";
            text_with_tooltip(top, top_full);
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(("v" + std::to_string(r.model_version)).c_str());
            ImGui::TableNextColumn();
            if (r.saving) {
                text_dim("saving...");
            } else {
                if (ImGui::SmallButton(r.corrected.empty() ? "Correct..." : "Edit")) {
                    f.state.picker_row = r.id;
                    f.state.open_picker_popup = true;
                }
                if (!r.corrected.empty()) {
                    ImGui::SameLine();
                    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.09f, 0.40f, 0.20f, 1));
                    text_with_tooltip(r.corrected, "Saved as feedback: " + r.corrected);
                    ImGui::PopStyleColor();
                }
            }
            ImGui::PopID();
        }
    }
    ImGui::EndTable();
}

}  // namespace

void draw_upload_tab(Frame& f) {
    app::Controller& c = f.controller;
    if (drop_zone("##upload_drop", "Drag & drop documents here",
                  "Classified in the background with the active model",
                  "(PDF, TXT, CSV, TSV, JSON with a text field, JSON Lines, or folders)", f.fonts,
                  ImGui::GetFontSize() * 5.0f)) {
        c.browse(app::Tab::Upload);
    }
    const float add_w = ImGui::CalcTextSize("Add").x + ImGui::GetStyle().FramePadding.x * 2;
    const float browse_w =
        ImGui::CalcTextSize("Browse...").x + ImGui::GetStyle().FramePadding.x * 2;
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x - add_w - browse_w -
                            ImGui::GetStyle().ItemSpacing.x * 2);
    bool enter = ImGui::InputTextWithHint("##upload_path", "or type a file or folder path",
                                          f.state.upload_path, sizeof f.state.upload_path,
                                          ImGuiInputTextFlags_EnterReturnsTrue);
    ImGui::SameLine();
    if ((button_enabled("Add", f.state.upload_path[0] != 0) || enter) &&
        f.state.upload_path[0] != 0) {
        c.add_upload_paths({f.state.upload_path});
        f.state.upload_path[0] = 0;
    }
    ImGui::SameLine();
    if (button_enabled("Browse...", c.chooser_available() && !c.chooser_open(),
                       c.chooser_available() ? "A file chooser is already open"
                                             : "Install zenity or kdialog for a file chooser")) {
        c.browse(app::Tab::Upload);
    }
    const auto& rej = c.last_rejections();
    if (!rej.empty() && c.rejections_tab() == app::Tab::Upload) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.60f, 0.11f, 0.11f, 1));
        for (std::size_t i = 0; i < rej.size() && i < 5; ++i) {
            std::string s = app::rejection_name(rej[i]) + ": " + rej[i].reason;
            ImGui::TextUnformatted(s.c_str());
        }
        ImGui::PopStyleColor();
    }

    // Which model answers, and whether the rows are from an older one.
    auto active = c.active_version();
    std::string model = active ? "Active model: v" + std::to_string(*active) + "."
                               : "No model yet: train one on the Model Retraining tab.";
    bool stale = false;
    for (const auto& r : c.upload_results())
        if (active && r.model_version != *active) stale = true;
    if (stale) model += " Some rows are from an older version: Classify again.";
    if (c.classifying()) model += " Classifying...";
    model += "  Corrections saved this session: " + std::to_string(c.corrections_saved()) +
             ", pending for retraining: " + std::to_string(c.pending_feedback()) + ".";
    ImGui::Spacing();
    text_dim(model);
    draw_toolbar(f);
    ImGui::Spacing();
    draw_documents(f);
    heading(f.fonts, "Results:");
    ImGui::SameLine();
    ImGui::AlignTextToFramePadding();
    text_dim(std::to_string(c.upload_results().size()) + " classified document(s)");
    if (!c.upload_docs().empty()) {
        ImGui::SameLine();
        if (ImGui::SmallButton("Clear")) {
            c.clear_upload_docs();
            return;
        }
    }
    if (c.upload_results().empty()) {
        text_dim(c.upload_docs().empty() ? "Drop documents above to see what the model says."
                                         : "Classifying in the background...");
    } else {
        draw_results(f);
    }

    // The label picker of the row being corrected.
    if (f.state.open_picker_popup) {
        f.state.open_picker_popup = false;
        f.state.picker_filter[0] = 0;
        f.state.picker_new_label[0] = 0;
        f.state.picker_selected.clear();
        f.state.picker_confirm_new = false;
        ImGui::OpenPopup("Correct label");
    }
    if (f.state.picker_row) {
        std::string predicted;
        for (const auto& r : c.upload_results())
            if (r.id == f.state.picker_row) predicted = r.predicted;
        std::string chosen;
        if (label_picker_popup(f, predicted, &chosen)) {
            c.correct(f.state.picker_row, chosen);
            f.state.picker_row = 0;
        }
    }
}

}  // namespace htc::ui
