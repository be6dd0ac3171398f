// Models tab: which version is live, every version with its metrics, promote / roll back
// (confirmed) / delete, a side-by-side comparison of two versions, pinned test sets and
// scheduled retraining.
//
// Sections: active model and Roll back | versions table | compare | pinned test sets |
// scheduled retraining | confirmation popups.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "app/format.h"
#include "ui/ui.h"

namespace htc::ui {

namespace {

const ImVec4 kUp(0.09f, 0.50f, 0.24f, 1);    // green-700
const ImVec4 kDown(0.73f, 0.11f, 0.11f, 1);  // red-700

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

std::string signed3(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%+.3f", v);
    return b;
}

std::string data_count(const nlohmann::json& data, const char* key) {
    if (!data.is_object()) return "-";
    auto it = data.find(key);
    if (it == data.end()) return "-";
    if (it->is_number_integer()) return std::to_string(it->get<long long>());
    return "-";
}

std::string level_accuracy(const nlohmann::json& m) {
    std::string s;
    if (auto it = m.find("level_accuracy"); m.is_object() && it != m.end() && it->is_array()) {
        for (const auto& v : *it) {
            if (!s.empty()) s += " / ";
            s += v.is_number() ? fmt3(v.get<double>()) : "-";
        }
    }
    return s.empty() ? "-" : s;
}

void delta_text(double d, bool in_both = true) {
    if (!in_both) {
        text_dim("new/gone");
        return;
    }
    if (std::fabs(d) < 0.0005) {
        text_dim("+0.000");
        return;
    }
    ImGui::PushStyleColor(ImGuiCol_Text, d > 0 ? kUp : kDown);
    ImGui::TextUnformatted(signed3(d).c_str());
    ImGui::PopStyleColor();
}

std::string vname(int v) { return "v" + std::to_string(v); }

void draw_active(Frame& f) {
    app::Controller& c = f.controller;
    const ModelInfo* active = c.active_model();
    if (!active) {
        heading(f.fonts, "No model yet");
        text_dim("Drop labelled feedback files on Model Retraining and start a retrain.");
        return;
    }
    std::string title = "Active model v" + std::to_string(active->version);
    heading(f.fonts, title.c_str());
    ImGui::SameLine();
    auto prev = c.previous_active();
    std::string why = "No earlier active version to go back to";
    if (button_enabled(prev ? ("Roll back to v" + std::to_string(*prev)).c_str() : "Roll back",
                       prev.has_value() && !c.models_busy(), why)) {
        f.state.confirm_rollback = *prev;
    }
    std::string line = "Engine " + active->engine + ", trained " +
                       app::iso_to_local(active->created) + " in " +
                       app::format_duration(active->train_seconds) + ", " +
                       app::format_file_size(active->size_bytes) + ". Accuracy per level " +
                       level_accuracy(active->metrics) + "; leaf " +
                       fmt3(metric(active->metrics, "leaf_accuracy")) + "; hierarchical F1 " +
                       fmt3(metric(active->metrics, "h_f1")) + ".";
    ImGui::PushTextWrapPos(0);
    ImGui::TextUnformatted(line.c_str());
    ImGui::PopTextWrapPos();
}

void draw_versions(Frame& f) {
    app::Controller& c = f.controller;
    const auto& models = c.models();
    auto active = c.active_version();
    heading(f.fonts, "Versions");
    ImGui::SameLine();
    if (ImGui::SmallButton("Refresh##models")) c.refresh_models();
    if (models.empty()) {
        text_dim("None registered.");
        return;
    }
    const float em = ImGui::GetFontSize();
    ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg |
                            ImGuiTableFlags_ScrollY | ImGuiTableFlags_Resizable |
                            ImGuiTableFlags_SizingStretchProp;
    const float row_h = ImGui::GetFrameHeight() + ImGui::GetStyle().CellPadding.y * 2;
    float h = std::min(em * 12, row_h * (models.size() + 1));
    if (!ImGui::BeginTable("models", 10, flags, ImVec2(0, h))) return;
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("Version", ImGuiTableColumnFlags_WidthFixed, em * 6.5f);
    ImGui::TableSetupColumn("Created", ImGuiTableColumnFlags_WidthStretch, 1.3f);
    ImGui::TableSetupColumn("Job", ImGuiTableColumnFlags_WidthFixed, em * 5);
    ImGui::TableSetupColumn("Engine", ImGuiTableColumnFlags_WidthFixed, em * 4.2f);
    ImGui::TableSetupColumn("Documents", ImGuiTableColumnFlags_WidthFixed, em * 5);
    ImGui::TableSetupColumn("Accuracy per level", ImGuiTableColumnFlags_WidthStretch, 1.5f);
    ImGui::TableSetupColumn("Hier. F1", ImGuiTableColumnFlags_WidthFixed, em * 4);
    ImGui::TableSetupColumn("Size", ImGuiTableColumnFlags_WidthFixed, em * 4.5f);
    ImGui::TableSetupColumn("Pinned", ImGuiTableColumnFlags_WidthFixed, em * 3.8f);
    ImGui::TableSetupColumn("Actions", ImGuiTableColumnFlags_WidthFixed, em * 8.5f);
    ImGui::TableHeadersRow();
    for (auto it = models.rbegin(); it != models.rend(); ++it) {
        const ModelInfo& m = *it;
        bool is_active = active && *active == m.version;
        ImGui::PushID(m.version);
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::AlignTextToFramePadding();
        ImGui::TextUnformatted(vname(m.version).c_str());
        if (is_active) {
            ImGui::SameLine();
            status_badge("active");
        }
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(app::iso_to_local(m.created).c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(m.job_id.empty() ? "CLI" : app::short_job_id(m.job_id).c_str());
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip(
                "%s", m.job_id.empty() ? "Trained by 'htc-trainer retrain'" : m.job_id.c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(m.engine.c_str());
        ImGui::TableNextColumn();
        std::string docs = data_count(m.data, "documents");
        ImGui::TextUnformatted(docs.c_str());
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("%s classes; %s corrections", data_count(m.data, "classes").c_str(),
                              data_count(m.data, "corrections").c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(level_accuracy(m.metrics).c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(fmt3(metric(m.metrics, "h_f1")).c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(app::format_file_size(m.size_bytes).c_str());
        ImGui::TableNextColumn();
        const nlohmann::json* pinned = nullptr;
        if (m.metrics.is_object() && m.metrics.contains("pinned")) pinned = &m.metrics["pinned"];
        ImGui::TextUnformatted(pinned ? fmt3(metric(*pinned, "leaf_accuracy")).c_str() : "-");
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip(
                "Leaf accuracy on the pinned test sets when this version was trained");
        ImGui::TableNextColumn();
        if (!is_active) {
            if (button_enabled("Promote", !c.models_busy(), "Busy")) c.promote_version(m.version);
            ImGui::SameLine();
            if (button_enabled("Delete", !c.models_busy(), "Busy"))
                f.state.confirm_delete = m.version;
        } else {
            text_dim("in use");
        }
        ImGui::PopID();
    }
    ImGui::EndTable();
}

void version_combo(const char* id, int& v, const std::vector<ModelInfo>& models) {
    std::string preview = v ? vname(v) : "choose";
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 5);
    if (ImGui::BeginCombo(id, preview.c_str())) {
        for (auto it = models.rbegin(); it != models.rend(); ++it)
            if (ImGui::Selectable(vname(it->version).c_str(), v == it->version)) v = it->version;
        ImGui::EndCombo();
    }
}

void draw_curve(const char* id, const nlohmann::json& pts, float w, float h) {
    std::vector<float> values;
    if (pts.is_array())
        for (const auto& p : pts)
            if (p.is_array() && p.size() >= 2 && p[1].is_number())
                values.push_back(p[1].get<float>());
    if (values.empty()) {
        text_dim("no curve recorded");
        return;
    }
    auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    char overlay[96];
    std::snprintf(overlay, sizeof overlay, "%zu points, first %.4g, last %.4g", values.size(),
                  values.front(), values.back());
    ImGui::PlotLines(id, values.data(), static_cast<int>(values.size()), 0, overlay, *lo, *hi,
                     ImVec2(w, h));
}

void draw_compare(Frame& f) {
    app::Controller& c = f.controller;
    const auto& models = c.models();
    heading(f.fonts, "Compare versions");
    if (models.size() < 2) {
        text_dim("Two versions are needed.");
        return;
    }
    UiState& st = f.state;
    if (!st.compare_a || !st.compare_b) {
        st.compare_b = models.back().version;
        st.compare_a = models[models.size() - 2].version;
    }
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("A");
    ImGui::SameLine();
    version_combo("##cmp_a", st.compare_a, models);
    ImGui::SameLine();
    ImGui::TextUnformatted("B");
    ImGui::SameLine();
    version_combo("##cmp_b", st.compare_b, models);
    ImGui::SameLine();
    if (button_enabled(
            "Compare",
            st.compare_a && st.compare_b && st.compare_a != st.compare_b && !c.comparing(),
            "Choose two different versions")) {
        c.compare_versions(st.compare_a, st.compare_b);
    }
    const auto& cmp = c.comparison();
    if (c.comparing()) {
        ImGui::SameLine();
        text_dim("comparing...");
    }
    if (!cmp) return;
    const std::string a = vname(cmp->a), b = vname(cmp->b);
    text_dim(a + " vs " + b + ", on " + cmp->basis + ". Deltas are B - A.");
    const float em = ImGui::GetFontSize();
    const float col_w = (ImGui::GetContentRegionAvail().x - em) * 0.5f;
    ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg |
                            ImGuiTableFlags_SizingStretchProp | ImGuiTableFlags_ScrollY;
    // Left: overall metrics and curves. Right: per-class F1 changes.
    ImGui::BeginGroup();
    if (ImGui::BeginTable("cmp_metrics", 4, flags & ~ImGuiTableFlags_ScrollY, ImVec2(col_w, 0))) {
        ImGui::TableSetupColumn("Metric", ImGuiTableColumnFlags_WidthStretch, 2.0f);
        ImGui::TableSetupColumn(a.c_str());
        ImGui::TableSetupColumn(b.c_str());
        ImGui::TableSetupColumn("Delta");
        ImGui::TableHeadersRow();
        for (const auto& m : cmp->metrics) {
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(m.name.c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(fmt3(m.a).c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(fmt3(m.b).c_str());
            ImGui::TableNextColumn();
            delta_text(m.delta());
        }
        ImGui::EndTable();
    }
    ImGui::TextUnformatted(("Training curve " + a).c_str());
    draw_curve("##curve_a", cmp->curve_a, col_w, em * 3.2f);
    ImGui::TextUnformatted(("Training curve " + b).c_str());
    draw_curve("##curve_b", cmp->curve_b, col_w, em * 3.2f);
    ImGui::EndGroup();
    ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::TextUnformatted("Per-class F1, largest classes first");
    if (ImGui::BeginTable("cmp_classes", 5, flags | ImGuiTableFlags_Resizable,
                          ImVec2(col_w, em * 13))) {
        ImGui::TableSetupScrollFreeze(0, 1);
        ImGui::TableSetupColumn("Class", ImGuiTableColumnFlags_WidthStretch, 3.0f);
        ImGui::TableSetupColumn("Support");
        ImGui::TableSetupColumn(a.c_str());
        ImGui::TableSetupColumn(b.c_str());
        ImGui::TableSetupColumn("Delta");
        ImGui::TableHeadersRow();
        ImGuiListClipper clip;
        clip.Begin(static_cast<int>(cmp->classes.size()));
        while (clip.Step()) {
            for (int i = clip.DisplayStart; i < clip.DisplayEnd; ++i) {
                const auto& d = cmp->classes[static_cast<std::size_t>(i)];
                ImGui::TableNextRow();
                ImGui::TableNextColumn();
                text_with_tooltip(d.label, d.label);
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(
                    (std::to_string(d.support_a) + "/" + std::to_string(d.support_b)).c_str());
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(d.in_a ? fmt3(d.f1_a).c_str() : "-");
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(d.in_b ? fmt3(d.f1_b).c_str() : "-");
                ImGui::TableNextColumn();
                delta_text(d.delta(), d.in_a && d.in_b);
            }
        }
        ImGui::EndTable();
    }
    auto confusions = [&](const std::string& title, const std::vector<Confusion>& v,
                          const ImVec4& color) {
        ImGui::TextUnformatted((title + " (" + std::to_string(v.size()) + ")").c_str());
        if (v.empty()) {
            text_dim("  none");
            return;
        }
        ImGui::PushStyleColor(ImGuiCol_Text, color);
        for (std::size_t i = 0; i < v.size() && i < 5; ++i) {
            std::string s =
                "  " + std::to_string(v[i].count) + "x  " + v[i].truth + "  ->  " + v[i].predicted;
            text_with_tooltip(s, s);
        }
        ImGui::PopStyleColor();
        if (v.size() > 5) text_dim("  ... " + std::to_string(v.size() - 5) + " more");
    };
    confusions("Confusions that appeared in " + b, cmp->appeared, kDown);
    confusions("Confusions that disappeared", cmp->disappeared, kUp);
    ImGui::EndGroup();
}

void draw_testsets(Frame& f) {
    app::Controller& c = f.controller;
    heading(f.fonts, "Pinned test sets");
    ImGui::SameLine();
    help_marker(
        "Labelled files the team cares about. Every retrain scores the new and the active "
        "model on them, and a new model with a lower leaf accuracy on them is not "
        "promoted (besides the validation-split gate).");
    const auto& sets = c.pinned_sets();
    if (sets.empty()) text_dim("None pinned.");
    for (const auto& s : sets) {
        ImGui::PushID(s.name.c_str());
        ImGui::BulletText("%s", s.name.c_str());
        ImGui::SameLine();
        text_dim(app::format_file_size(s.size_bytes));
        ImGui::SameLine();
        if (ImGui::SmallButton("Unpin")) c.unpin_test_set(s.name);
        ImGui::PopID();
    }
    const float pin_w = ImGui::CalcTextSize("Pin").x + ImGui::GetStyle().FramePadding.x * 2;
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x - pin_w -
                            ImGui::GetStyle().ItemSpacing.x);
    bool enter =
        ImGui::InputTextWithHint("##pin_path", "path of a labelled file to pin", f.state.pin_path,
                                 sizeof f.state.pin_path, ImGuiInputTextFlags_EnterReturnsTrue);
    ImGui::SameLine();
    if ((button_enabled("Pin", f.state.pin_path[0] != 0, "Type a path") || enter) &&
        f.state.pin_path[0] != 0) {
        c.pin_test_set(f.state.pin_path);
        f.state.pin_path[0] = 0;
    }
}

void draw_schedule(Frame& f) {
    app::Controller& c = f.controller;
    heading(f.fonts, "Scheduled retraining");
    ImGui::SameLine();
    help_marker(
        "Off by default. Run by this window (and by 'htc-trainer worker --follow'); "
        "settings in <data>/schedule.json.");
    jobs::ScheduleSettings s = c.schedule();
    const float em = ImGui::GetFontSize();
    bool changed = false;
    if (f.state.watch_folder[0] == 0 && !s.watch_folder.empty())
        std::snprintf(f.state.watch_folder, sizeof f.state.watch_folder, "%s",
                      s.watch_folder.c_str());
    if (f.state.daily_time[0] == 0)
        std::snprintf(f.state.daily_time, sizeof f.state.daily_time, "%s", s.daily_time.c_str());
    changed |= ImGui::Checkbox("Watch folder", &s.watch_enabled);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x - em * 9.5f);
    if (ImGui::InputTextWithHint("##watch", "folder where feedback files land",
                                 f.state.watch_folder, sizeof f.state.watch_folder)) {
        s.watch_folder = f.state.watch_folder;
        changed = true;
    }
    ImGui::SameLine();
    ImGui::SetNextItemWidth(em * 4);
    float debounce = static_cast<float>(s.debounce_seconds);
    if (ImGui::DragFloat("s quiet##debounce", &debounce, 1, 0, 3600, "%.0f")) {
        s.debounce_seconds = debounce;
        changed = true;
    }
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip(
            "New files are queued as one job once nothing in the folder changed "
            "for this long");
    changed |= ImGui::Checkbox("Retrain daily at", &s.daily_enabled);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(em * 4);
    if (ImGui::InputText("##daily", f.state.daily_time, sizeof f.state.daily_time)) {
        if (jobs::parse_daily_time(f.state.daily_time) >= 0) {
            s.daily_time = f.state.daily_time;
            changed = true;
        }
    }
    ImGui::SameLine();
    bool valid = jobs::parse_daily_time(f.state.daily_time) >= 0;
    text_dim(valid ? "local time, when corrections are pending" : "expected HH:MM");
    std::string state =
        std::string("Watched folder ") +
        (s.watch_enabled && !s.watch_folder.empty() ? "on" : "off") + "; daily retrain " +
        (s.daily_enabled ? "on at " + s.daily_time : "off") + "; Auto Sync " +
        (s.auto_sync ? "after " + std::to_string(s.auto_sync_after) + " corrections" : "off") +
        (s.last_daily_run.empty() ? "" : "; last daily check " + s.last_daily_run) + ".";
    ImGui::PushTextWrapPos(0);
    text_dim(state);
    ImGui::PopTextWrapPos();
    if (changed) c.update_schedule(s);
}

void draw_confirmations(Frame& f) {
    app::Controller& c = f.controller;
    UiState& st = f.state;
    if (st.confirm_rollback) ImGui::OpenPopup("Roll back?");
    if (ImGui::BeginPopupModal("Roll back?", nullptr, ImGuiWindowFlags_AlwaysAutoResize)) {
        if (!st.confirm_rollback) {  // answered elsewhere (the test driver)
            ImGui::CloseCurrentPopup();
            ImGui::EndPopup();
            return;
        }
        auto active = c.active_version();
        std::string q = "Make v" + std::to_string(st.confirm_rollback) + " the active model" +
                        (active ? " instead of v" + std::to_string(*active) : std::string()) +
                        "?\nClassification uses it at once; nothing is deleted, and you can "
                        "promote the other version again later.";
        ImGui::TextUnformatted(q.c_str());
        if (ImGui::Button("Roll back")) {
            c.rollback_to(st.confirm_rollback);
            st.confirm_rollback = 0;
            ImGui::CloseCurrentPopup();
        }
        ImGui::SameLine();
        if (ImGui::Button("Cancel")) {
            st.confirm_rollback = 0;
            ImGui::CloseCurrentPopup();
        }
        ImGui::EndPopup();
    }
    if (st.confirm_delete) ImGui::OpenPopup("Delete version?");
    if (ImGui::BeginPopupModal("Delete version?", nullptr, ImGuiWindowFlags_AlwaysAutoResize)) {
        if (!st.confirm_delete) {
            ImGui::CloseCurrentPopup();
            ImGui::EndPopup();
            return;
        }
        std::string q = "Delete v" + std::to_string(st.confirm_delete) +
                        " and its files? This cannot be undone.";
        ImGui::TextUnformatted(q.c_str());
        if (ImGui::Button("Delete")) {
            c.delete_version(st.confirm_delete);
            st.confirm_delete = 0;
            ImGui::CloseCurrentPopup();
        }
        ImGui::SameLine();
        if (ImGui::Button("Cancel")) {
            st.confirm_delete = 0;
            ImGui::CloseCurrentPopup();
        }
        ImGui::EndPopup();
    }
}

}  // namespace

void draw_models_tab(Frame& f) {
    ImGui::BeginChild("##models_scroll", ImVec2(0, 0), false);
    draw_active(f);
    ImGui::Spacing();
    draw_versions(f);
    ImGui::Spacing();
    // Pinned test sets and the schedule side by side, then the comparison.
    if (ImGui::BeginTable("##models_settings", 2, ImGuiTableFlags_SizingStretchSame)) {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        draw_testsets(f);
        ImGui::TableNextColumn();
        draw_schedule(f);
        ImGui::EndTable();
    }
    ImGui::Spacing();
    ImGui::Separator();
    draw_compare(f);
    draw_confirmations(f);
    ImGui::EndChild();
}

}  // namespace htc::ui
