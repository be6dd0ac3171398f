// The main window: menu, the four tabs, status bar, toasts and the job view.
#include <string>

#include "app/first_run.h"
#include "app/jobs_model.h"
#include "ui/ui.h"

namespace htc::ui {

namespace {

struct TabDef {
    app::Tab tab;
    const char* label;
};
// The seed's tab names, plus Models.
const TabDef kTabs[] = {{app::Tab::Upload, "Document Upload"},
                        {app::Tab::Retrain, "Model Retraining"},
                        {app::Tab::History, "Training History"},
                        {app::Tab::Models, "Models"}};

void menu(Frame& f) {
    if (!ImGui::BeginMenuBar()) return;
    if (ImGui::BeginMenu("View")) {
        if (ImGui::BeginMenu("UI scale")) {
            for (float s : {1.0f, 1.25f, 1.5f, 1.75f, 2.0f, 2.5f}) {
                char label[16];
                std::snprintf(label, sizeof label, "%.0f%%", s * 100);
                if (ImGui::MenuItem(label, nullptr, std::abs(f.state.scale - s) < 0.01f)) {
                    f.state.requested_scale = s;
                }
            }
            ImGui::EndMenu();
        }
        ImGui::EndMenu();
    }
    if (ImGui::BeginMenu("Help")) {
        ImGui::MenuItem("HTC Trainer " HTC_VERSION, nullptr, false, false);
        ImGui::MenuItem("Drop feedback files on the window to retrain", nullptr, false, false);
        ImGui::MenuItem("Command line: htc-trainer --help, man htc-trainer", nullptr, false,
                        false);
        std::string data = "Data folder: " + f.controller.data_dir_absolute();
        ImGui::MenuItem(data.c_str(), nullptr, false, false);
        ImGui::EndMenu();
    }
    ImGui::EndMenuBar();
}

}  // namespace

void draw_main_window(Frame& f) {
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(vp->WorkPos);
    ImGui::SetNextWindowSize(vp->WorkSize);
    // Not NoSavedSettings: tables inherit it from their top-level window, and the history
    // table's widths, order and sort must persist.
    ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                             ImGuiWindowFlags_MenuBar | ImGuiWindowFlags_NoBringToFrontOnFocus;
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(0, 0));
    ImGui::Begin("HTC Trainer", nullptr, flags);
    ImGui::PopStyleVar();
    menu(f);
    const float status_h = ImGui::GetFrameHeight() + ImGui::GetStyle().FramePadding.y * 2;
    const ImVec2 pad = ImGui::GetStyle().WindowPadding;
    ImGui::SetCursorPos(ImVec2(pad.x, ImGui::GetCursorPosY() + pad.y * 0.5f));
    ImGui::BeginGroup();
    // Tabs: the controller's tab is selected on the first frame (saved setting) and when a
    // command switched it; otherwise the user's click decides.
    const bool force = f.state.select_tab_from_settings || f.state.force_tab;
    if (ImGui::BeginTabBar("tabs", ImGuiTabBarFlags_None)) {
        for (const TabDef& t : kTabs) {
            ImGuiTabItemFlags tf =
                force && f.controller.active_tab() == t.tab ? ImGuiTabItemFlags_SetSelected : 0;
            if (ImGui::BeginTabItem(t.label, nullptr, tf)) {
                if (!force) f.controller.set_active_tab(t.tab);
                ImGui::EndTabItem();
            }
        }
        ImGui::EndTabBar();
    }
    ImGui::EndGroup();
    f.state.select_tab_from_settings = false;
    f.state.force_tab = false;

    // The active tab's content fills the space above the status bar.
    ImGui::SetCursorPosX(0);
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, pad);
    ImGui::BeginChild("##content", ImVec2(0, ImGui::GetContentRegionAvail().y - status_h), false,
                      ImGuiWindowFlags_AlwaysUseWindowPadding);
    switch (f.controller.active_tab()) {
        case app::Tab::Upload:
            draw_upload_tab(f);
            break;
        case app::Tab::Retrain:
            if (app::first_run(f.controller, f.jobs)) {
                draw_first_run(f);
            } else {
                draw_retrain_tab(f);
            }
            break;
        case app::Tab::History:
            draw_history_tab(f);
            break;
        case app::Tab::Models:
            draw_models_tab(f);
            break;
    }
    ImGui::EndChild();
    ImGui::PopStyleVar();
    ImGui::SetCursorPosX(0);
    draw_status_bar(f, status_h);
    draw_job_view_popup(f);
    ImGui::End();
    draw_toasts(f);
}

}  // namespace htc::ui
