// Document Upload tab: collects documents for classification with the active model.
// This pass lists the dropped documents; predicting and correcting them comes in a later task.
#include <cstdio>
#include <string>

#include "app/format.h"
#include "ui/ui.h"

namespace htc::ui {

void draw_upload_tab(Frame& f) {
    app::Controller& c = f.controller;
    if (drop_zone("##upload_drop", "Drag & drop documents here",
                  "Documents to classify with the active model",
                  "(PDF, TXT, CSV, TSV, JSON, JSON Lines, or folders)", f.fonts,
                  ImGui::GetFontSize() * 6.5f)) {
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
    ImGui::PushTextWrapPos(0);
    auto active = c.active_version();
    std::string model = active ? "Active model: v" + std::to_string(*active) + "."
                               : "No model yet: train one on the Model Retraining tab.";
    text_dim(model +
             " Classifying these documents and correcting the predictions (which "
             "become feedback) arrives in the next version; from the command line, use "
             "'htc-trainer classify FILE'.");
    ImGui::PopTextWrapPos();
    const auto& rej = c.last_rejections();
    if (!rej.empty() && c.rejections_tab() == app::Tab::Upload) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.60f, 0.11f, 0.11f, 1));
        for (std::size_t i = 0; i < rej.size() && i < 5; ++i) {
            std::string s = app::rejection_name(rej[i]) + ": " + rej[i].reason;
            ImGui::TextUnformatted(s.c_str());
        }
        ImGui::PopStyleColor();
    }
    const auto& docs = c.upload_docs();
    ImGui::Spacing();
    heading(f.fonts, "Documents:");
    ImGui::SameLine();
    ImGui::AlignTextToFramePadding();
    text_dim(std::to_string(docs.size()) + " document(s)");
    if (docs.empty()) return;
    ImGui::SameLine();
    if (ImGui::SmallButton("Clear")) {
        c.clear_upload_docs();
        return;
    }
    ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg |
                            ImGuiTableFlags_ScrollY | ImGuiTableFlags_Resizable |
                            ImGuiTableFlags_SizingStretchProp;
    if (!ImGui::BeginTable("upload_docs", 4, flags, ImVec2(0, ImGui::GetContentRegionAvail().y))) {
        return;
    }
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("Type", ImGuiTableColumnFlags_WidthFixed, ImGui::GetFontSize() * 3.8f);
    ImGui::TableSetupColumn("Name", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableSetupColumn("Size", ImGuiTableColumnFlags_WidthFixed, ImGui::GetFontSize() * 5.5f);
    ImGui::TableSetupColumn("##remove", ImGuiTableColumnFlags_WidthFixed,
                            ImGui::GetFontSize() * 1.6f);
    ImGui::TableHeadersRow();
    std::uint64_t remove_id = 0;
    ImGuiListClipper clip;
    clip.Begin(static_cast<int>(docs.size()));
    while (clip.Step()) {
        for (int i = clip.DisplayStart; i < clip.DisplayEnd; ++i) {
            const auto& d = docs[static_cast<std::size_t>(i)];
            ImGui::PushID(static_cast<int>(d.id));
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(d.type.c_str());
            ImGui::TableNextColumn();
            text_with_tooltip(d.name, d.path);
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(app::format_file_size(d.size_bytes).c_str());
            ImGui::TableNextColumn();
            if (ImGui::SmallButton("x")) remove_id = d.id;
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("Remove document");
            ImGui::PopID();
        }
    }
    ImGui::EndTable();
    if (remove_id) c.remove_upload_doc(remove_id);
}

}  // namespace htc::ui
