// Status bar: active model, job queue, this process's CPU and memory, the data folder.
#include <cstdio>
#include <string>

#include "app/format.h"
#include "app/jobs_model.h"
#include "ui/ui.h"

namespace htc::ui {

void draw_status_bar(Frame& f, float height) {
    app::Controller& c = f.controller;
    ImGui::PushStyleColor(ImGuiCol_ChildBg, ImVec4(0.953f, 0.957f, 0.965f, 1.0f));
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding,
                        ImVec2(ImGui::GetStyle().FramePadding.x * 1.5f,
                               (height - ImGui::GetTextLineHeight()) * 0.5f));
    ImGui::BeginChild("##status", ImVec2(0, height), false,
                      ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse |
                          ImGuiWindowFlags_AlwaysUseWindowPadding);
    auto active = c.active_version();
    std::string model = active ? "Model v" + std::to_string(*active) : "No model yet";
    ImGui::TextUnformatted(model.c_str());
    ImGui::SameLine(0, ImGui::GetFontSize() * 1.5f);
    char jobs[96];
    std::snprintf(jobs, sizeof jobs, "Queue: %zu queued, %zu running", f.jobs.queue_length(),
                  f.jobs.running_count());
    ImGui::TextUnformatted(jobs);
    // Sampled at most once a second, and only while frames are drawn: idle costs nothing.
    f.proc.update(c.now());
    char proc[96];
    if (f.proc.valid()) {
        std::snprintf(proc, sizeof proc, "CPU %.1f%%   RSS %s", f.proc.cpu_percent(),
                      app::format_file_size(f.proc.rss_bytes()).c_str());
    } else {
        std::snprintf(proc, sizeof proc, "RSS %s",
                      app::format_file_size(f.proc.rss_bytes()).c_str());
    }
    ImGui::SameLine(0, ImGui::GetFontSize() * 1.5f);
    ImGui::TextUnformatted(proc);
    std::string data = "Data: " + c.data_dir_absolute();
    float w = ImGui::CalcTextSize(data.c_str()).x;
    float right = ImGui::GetWindowContentRegionMax().x - w;
    ImGui::SameLine();
    if (right > ImGui::GetCursorPosX() + ImGui::GetFontSize()) {
        ImGui::SetCursorPosX(right);
        text_dim(data);
        if (ImGui::IsItemHovered() && !c.data_source().empty()) {
            ImGui::SetTooltip("Data folder (from %s): models, job history, uploads, exports",
                              c.data_source().c_str());
        }
    }
    ImGui::EndChild();
    ImGui::PopStyleVar();
    ImGui::PopStyleColor();
}

}  // namespace htc::ui
