// Toasts: short notices stacked in the bottom-right corner, dismissed by time or a click.
#include <algorithm>
#include <string>

#include "ui/ui.h"

namespace htc::ui {

void draw_toasts(Frame& f) {
    app::Controller& c = f.controller;
    const auto& toasts = c.toasts();
    if (toasts.empty()) return;
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    const float margin = ImGui::GetFontSize() * 0.8f;
    const float width = std::min(vp->WorkSize.x * 0.45f, ImGui::GetFontSize() * 30.0f);
    float y = vp->WorkPos.y + vp->WorkSize.y - margin - ImGui::GetFontSize() * 2.0f;
    std::uint64_t dismiss = 0;
    // Newest at the bottom, older ones above it.
    for (auto it = toasts.rbegin(); it != toasts.rend(); ++it) {
        const app::Toast& t = *it;
        ImVec4 accent;
        switch (t.kind) {
            case app::ToastKind::Success:
                accent = ImVec4(0.09f, 0.64f, 0.29f, 1);
                break;
            case app::ToastKind::Warning:
                accent = ImVec4(0.85f, 0.47f, 0.02f, 1);
                break;
            case app::ToastKind::Error:
                accent = ImVec4(0.86f, 0.15f, 0.15f, 1);
                break;
            default:
                accent = ImVec4(0.49f, 0.23f, 0.93f, 1);
                break;
        }
        ImGui::SetNextWindowPos(ImVec2(vp->WorkPos.x + vp->WorkSize.x - margin, y),
                                ImGuiCond_Always, ImVec2(1.0f, 1.0f));
        ImGui::SetNextWindowSize(ImVec2(width, 0));
        ImGui::SetNextWindowBgAlpha(0.97f);
        ImGui::PushStyleColor(ImGuiCol_Border, accent);
        ImGui::PushStyleVar(ImGuiStyleVar_WindowBorderSize, 1.5f);
        ImGui::PushStyleVar(ImGuiStyleVar_WindowRounding, ImGui::GetFontSize() * 0.4f);
        std::string name = "##toast" + std::to_string(t.id);
        ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoSavedSettings |
                                 ImGuiWindowFlags_NoFocusOnAppearing | ImGuiWindowFlags_NoNav |
                                 ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoMove;
        if (ImGui::Begin(name.c_str(), nullptr, flags)) {
            ImDrawList* dl = ImGui::GetWindowDrawList();
            ImVec2 p = ImGui::GetWindowPos(), s = ImGui::GetWindowSize();
            dl->AddRectFilled(p, ImVec2(p.x + ImGui::GetFontSize() * 0.3f, p.y + s.y),
                              ImGui::GetColorU32(accent), ImGui::GetFontSize() * 0.4f,
                              ImDrawFlags_RoundCornersLeft);
            ImGui::Indent(ImGui::GetFontSize() * 0.3f);
            ImGui::PushTextWrapPos(width - ImGui::GetFontSize() * 2.2f);
            ImGui::TextUnformatted(t.text.c_str());
            ImGui::PopTextWrapPos();
            ImGui::SameLine(width - ImGui::GetFontSize() * 1.6f);
            if (ImGui::SmallButton("x")) dismiss = t.id;
            y -= ImGui::GetWindowHeight() + margin * 0.5f;
        }
        ImGui::End();
        ImGui::PopStyleVar(2);
        ImGui::PopStyleColor();
    }
    if (dismiss) c.dismiss_toast(dismiss);
}

}  // namespace htc::ui
