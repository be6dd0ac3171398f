// Models tab: the active model and its metrics, and every registered version.
// Promote, roll back and side-by-side comparison come in a later task (the CLI has them).
#include <cmath>
#include <cstdio>
#include <string>

#include "app/format.h"
#include "ui/ui.h"

namespace htc::ui {

namespace {

double metric(const nlohmann::json& m, const char* key) {
    if (!m.is_object()) return NAN;
    auto it = m.find(key);
    return it != m.end() && it->is_number() ? it->get<double>() : NAN;
}

std::string fmt3(double v) {
    if (std::isnan(v)) return "-";
    char b[32];
    std::snprintf(b, sizeof b, "%.3f", v);
    return b;
}

std::string data_count(const nlohmann::json& data, const char* key) {
    if (!data.is_object()) return "-";
    auto it = data.find(key);
    if (it == data.end()) return "-";
    if (it->is_number_integer()) return std::to_string(it->get<long long>());
    if (it->is_number()) return fmt3(it->get<double>());
    return "-";
}

}  // namespace

void draw_models_tab(Frame& f) {
    app::Controller& c = f.controller;
    if (ImGui::Button("Refresh##models")) c.refresh_models();
    ImGui::SameLine();
    ImGui::AlignTextToFramePadding();
    text_dim(
        "Promote, roll back and compare arrive in the next version (CLI: htc-trainer "
        "models / rollback).");
    const ModelInfo* active = c.active_model();
    ImGui::Spacing();
    if (!active) {
        heading(f.fonts, "No model yet");
        text_dim("Drop labelled feedback files on Model Retraining and start a retrain.");
    } else {
        std::string title = "Active model v" + std::to_string(active->version);
        heading(f.fonts, title.c_str());
        std::string line = "Engine " + active->engine + ", trained " +
                           app::iso_to_local(active->created) + " in " +
                           app::format_duration(active->train_seconds) + ", " +
                           app::format_file_size(active->size_bytes);
        ImGui::TextUnformatted(line.c_str());
        const auto& m = active->metrics;
        std::string levels;
        if (auto it = m.find("level_accuracy"); it != m.end() && it->is_array()) {
            for (std::size_t l = 0; l < it->size(); ++l) {
                if (!levels.empty()) levels += ", ";
                levels += "L" + std::to_string(l + 1) + " " +
                          fmt3((*it)[l].is_number() ? (*it)[l].get<double>() : NAN);
            }
        }
        std::string summary = "Accuracy " + (levels.empty() ? "-" : levels) + "; leaf " +
                              fmt3(metric(m, "leaf_accuracy")) + "; micro F1 " +
                              fmt3(metric(m, "micro_f1")) + "; macro F1 " +
                              fmt3(metric(m, "macro_f1")) + "; hierarchical F1 " +
                              fmt3(metric(m, "h_f1"));
        ImGui::PushTextWrapPos(0);
        ImGui::TextUnformatted(summary.c_str());
        ImGui::PopTextWrapPos();
    }
    ImGui::Spacing();
    heading(f.fonts, "Versions");
    const auto& models = c.models();
    if (models.empty()) {
        text_dim("None registered.");
        return;
    }
    ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg |
                            ImGuiTableFlags_ScrollY | ImGuiTableFlags_Resizable |
                            ImGuiTableFlags_SizingStretchProp;
    if (!ImGui::BeginTable("models", 8, flags, ImVec2(0, ImGui::GetContentRegionAvail().y))) {
        return;
    }
    ImGui::TableSetupScrollFreeze(0, 1);
    for (const char* h :
         {"Version", "Created", "Engine", "Documents", "Classes", "Leaf acc.", "Hier. F1", "Job"}) {
        ImGui::TableSetupColumn(h);
    }
    ImGui::TableHeadersRow();
    for (auto it = models.rbegin(); it != models.rend(); ++it) {
        const ModelInfo& m = *it;
        bool is_active = active && active->version == m.version;
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        std::string v = "v" + std::to_string(m.version);
        ImGui::TextUnformatted(v.c_str());
        if (is_active) {
            ImGui::SameLine();
            status_badge("active");
        }
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(app::iso_to_local(m.created).c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(m.engine.c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(data_count(m.data, "documents").c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(data_count(m.data, "classes").c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(fmt3(metric(m.metrics, "leaf_accuracy")).c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(fmt3(metric(m.metrics, "h_f1")).c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(app::short_job_id(m.job_id).c_str());
        if (ImGui::IsItemHovered() && !m.job_id.empty()) ImGui::SetTooltip("%s", m.job_id.c_str());
    }
    ImGui::EndTable();
}

}  // namespace htc::ui
