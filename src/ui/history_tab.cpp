// Training History tab and the job view.
//
// Sections: toolbar (status filter, search, Refresh, Export CSV) | table over the filtered
//           index with a list clipper | job view popup (files, metrics, classes, log)
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "app/format.h"
#include "app/jobs_model.h"
#include "ui/ui.h"

namespace htc::ui {

namespace {

const char* const kStatuses[] = {"all",    "queued",    "running",    "completed",
                                 "failed", "cancelled", "interrupted"};

void toolbar(Frame& f) {
    app::JobsModel& jobs = f.jobs;
    int current = 0;
    for (int i = 1; i < 7; ++i) {
        if (jobs.filter_status() == kStatuses[i]) current = i;
    }
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
    bool changed = ImGui::Combo("##status", &current, kStatuses, 7);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 16);
    changed |= ImGui::InputTextWithHint("##search", "Search id, details, files",
                                        f.state.history_search, sizeof f.state.history_search);
    if (changed) {
        std::string status = current == 0 ? "" : kStatuses[current];
        f.controller.settings().history_status = status;
        jobs.set_filter(status, f.state.history_search);
    }
    ImGui::SameLine();
    if (ImGui::Button("Refresh")) jobs.refresh_history();
    ImGui::SameLine();
    if (button_enabled("Export CSV", !jobs.exporting() && jobs.history_total() > 0,
                       jobs.exporting() ? "Exporting..." : "No jobs to export")) {
        jobs.export_csv();
    }
    ImGui::SameLine();
    ImGui::AlignTextToFramePadding();
    char buf[96];
    std::snprintf(buf, sizeof buf, "%zu of %zu jobs", jobs.history_size(), jobs.history_total());
    text_dim(buf);
    if (jobs.history_loading()) {
        ImGui::SameLine();
        text_dim("loading...");
    }
    if (!jobs.store_error().empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.60f, 0.11f, 0.11f, 1));
        ImGui::PushTextWrapPos(0);
        ImGui::TextUnformatted(jobs.store_error().c_str());
        ImGui::PopTextWrapPos();
        ImGui::PopStyleColor();
    }
}

void table(Frame& f) {
    app::JobsModel& jobs = f.jobs;
    ImGuiTableFlags flags = ImGuiTableFlags_Sortable | ImGuiTableFlags_ScrollY |
                            ImGuiTableFlags_Resizable | ImGuiTableFlags_Borders |
                            ImGuiTableFlags_RowBg | ImGuiTableFlags_Reorderable |
                            ImGuiTableFlags_Hideable | ImGuiTableFlags_SizingStretchProp;
    const float fs = ImGui::GetFontSize();
    if (!ImGui::BeginTable("history", 7, flags, ImVec2(0, ImGui::GetContentRegionAvail().y))) {
        return;
    }
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("Job ID", ImGuiTableColumnFlags_WidthFixed, fs * 6.5f, 0);
    ImGui::TableSetupColumn("Timestamp",
                            ImGuiTableColumnFlags_WidthFixed | ImGuiTableColumnFlags_DefaultSort |
                                ImGuiTableColumnFlags_PreferSortDescending,
                            fs * 9.5f, 1);
    ImGui::TableSetupColumn("Status", ImGuiTableColumnFlags_WidthFixed, fs * 6.2f, 2);
    ImGui::TableSetupColumn("Details", ImGuiTableColumnFlags_WidthStretch, 1.0f, 3);
    ImGui::TableSetupColumn("Duration", ImGuiTableColumnFlags_WidthFixed, fs * 5.5f, 4);
    ImGui::TableSetupColumn("Model", ImGuiTableColumnFlags_WidthFixed, fs * 3.5f, 5);
    ImGui::TableSetupColumn(
        "Actions", ImGuiTableColumnFlags_WidthFixed | ImGuiTableColumnFlags_NoSort, fs * 9.5f, 6);
    ImGui::TableHeadersRow();
    if (f.state.history_scroll_to >= 0) {
        ImGui::SetScrollY(f.state.history_scroll_to);
        f.state.history_scroll_to = -1;
    }
    if (ImGuiTableSortSpecs* specs = ImGui::TableGetSortSpecs()) {
        if (specs->SpecsDirty && specs->SpecsCount > 0) {
            const ImGuiTableColumnSortSpecs& s = specs->Specs[0];
            jobs.set_sort(static_cast<app::HistoryColumn>(s.ColumnUserID),
                          s.SortDirection == ImGuiSortDirection_Ascending);
            specs->SpecsDirty = false;
        }
    }
    std::string copy_id, cancel_id, retry_id, view_id;
    ImGuiListClipper clip;
    clip.Begin(static_cast<int>(jobs.history_size()));
    while (clip.Step()) {
        for (int i = clip.DisplayStart; i < clip.DisplayEnd; ++i) {
            const app::HistoryRow& r = jobs.history_row(static_cast<std::size_t>(i));
            ImGui::PushID(i);
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            if (f.fonts.mono) ImGui::PushFont(f.fonts.mono);
            if (ImGui::Selectable(app::short_job_id(r.id).c_str(), false)) copy_id = r.id;
            if (f.fonts.mono) ImGui::PopFont();
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s\n(click to copy)", r.id.c_str());
            if (ImGui::BeginPopupContextItem("idmenu")) {
                if (ImGui::MenuItem("Copy job ID")) copy_id = r.id;
                ImGui::EndPopup();
            }
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(r.created_local.c_str());
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", r.created.c_str());
            ImGui::TableNextColumn();
            status_badge(r.status);
            ImGui::TableNextColumn();
            std::string details = r.details;
            if (!r.error.empty() && r.error != r.details) {
                details += details.empty() ? r.error : " - " + r.error;
            }
            text_with_tooltip(app::truncate_utf8(details, 100), details);
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(app::format_duration(r.duration).c_str());
            ImGui::TableNextColumn();
            if (r.model_version > 0) {
                ImGui::Text("v%d", r.model_version);
            } else {
                text_dim("-");
            }
            ImGui::TableNextColumn();
            if (ImGui::SmallButton("View")) view_id = r.id;
            bool active = r.status == "queued" || r.status == "running";
            bool retryable =
                r.status == "failed" || r.status == "cancelled" || r.status == "interrupted";
            if (active) {
                ImGui::SameLine();
                if (ImGui::SmallButton("Cancel")) cancel_id = r.id;
            }
            if (retryable) {
                ImGui::SameLine();
                if (ImGui::SmallButton("Retry")) retry_id = r.id;
            }
            ImGui::PopID();
        }
    }
    ImGui::EndTable();
    if (!copy_id.empty()) {
        ImGui::SetClipboardText(copy_id.c_str());
        f.controller.toast(app::ToastKind::Info, "Copied job ID " + copy_id, 3.0);
    }
    if (!cancel_id.empty()) jobs.cancel(cancel_id);
    if (!retry_id.empty()) jobs.retry(retry_id);
    if (!view_id.empty()) {
        f.state.view_job_id = view_id;
        f.state.open_view_popup = true;
        jobs.open_job(view_id);
    }
}

double num(const nlohmann::json& j, const char* key) {
    if (!j.is_object()) return NAN;
    auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<double>() : NAN;
}

void metrics_section(const nlohmann::json& m) {
    if (!m.is_object()) {
        text_dim("No metrics (the job did not train a model).");
        return;
    }
    ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg |
                            ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_NoHostExtendX;
    if (ImGui::BeginTable("levels", 2, flags)) {
        ImGui::TableSetupColumn("Metric");
        ImGui::TableSetupColumn("Value");
        ImGui::TableHeadersRow();
        auto row = [](const std::string& name, double v) {
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(name.c_str());
            ImGui::TableNextColumn();
            if (std::isnan(v))
                text_dim("-");
            else
                ImGui::Text("%.4f", v);
        };
        if (auto it = m.find("documents"); it != m.end() && it->is_number()) {
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::TextUnformatted("Validation documents");
            ImGui::TableNextColumn();
            ImGui::Text("%lld", static_cast<long long>(it->get<double>()));
        }
        if (auto it = m.find("level_accuracy"); it != m.end() && it->is_array()) {
            for (std::size_t l = 0; l < it->size(); ++l) {
                row("Accuracy level " + std::to_string(l + 1),
                    (*it)[l].is_number() ? (*it)[l].get<double>() : NAN);
            }
        }
        row("Leaf accuracy", num(m, "leaf_accuracy"));
        row("Micro F1", num(m, "micro_f1"));
        row("Macro F1", num(m, "macro_f1"));
        row("Hierarchical precision", num(m, "h_precision"));
        row("Hierarchical recall", num(m, "h_recall"));
        row("Hierarchical F1", num(m, "h_f1"));
        ImGui::EndTable();
    }
    auto pc = m.find("per_class");
    if (pc != m.end() && pc->is_array() && !pc->empty() &&
        ImGui::TreeNode("classes", "Per class (%zu)", pc->size())) {
        ImGuiTableFlags tf = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg |
                             ImGuiTableFlags_ScrollY | ImGuiTableFlags_Resizable |
                             ImGuiTableFlags_SizingStretchProp;
        const float row = ImGui::GetTextLineHeight() + ImGui::GetStyle().CellPadding.y * 2 + 1;
        float h = row * (std::min<float>(static_cast<float>(pc->size()), 14.0f) + 1) + 4;
        if (ImGui::BeginTable("per_class", 6, tf, ImVec2(0, h))) {
            ImGui::TableSetupScrollFreeze(0, 1);
            ImGui::TableSetupColumn("Label", ImGuiTableColumnFlags_WidthStretch, 4.0f);
            ImGui::TableSetupColumn("Level", ImGuiTableColumnFlags_WidthStretch, 0.7f);
            ImGui::TableSetupColumn("Support", ImGuiTableColumnFlags_WidthStretch, 1.0f);
            ImGui::TableSetupColumn("Precision", ImGuiTableColumnFlags_WidthStretch, 1.0f);
            ImGui::TableSetupColumn("Recall", ImGuiTableColumnFlags_WidthStretch, 1.0f);
            ImGui::TableSetupColumn("F1", ImGuiTableColumnFlags_WidthStretch, 1.0f);
            ImGui::TableHeadersRow();
            ImGuiListClipper clip;
            clip.Begin(static_cast<int>(pc->size()));
            while (clip.Step()) {
                for (int i = clip.DisplayStart; i < clip.DisplayEnd; ++i) {
                    const auto& c = (*pc)[static_cast<std::size_t>(i)];
                    ImGui::TableNextRow();
                    ImGui::TableNextColumn();
                    std::string label = c.value("label", std::string());
                    ImGui::TextUnformatted(label.c_str());
                    ImGui::TableNextColumn();
                    ImGui::Text("%d", c.value("level", 0));
                    ImGui::TableNextColumn();
                    ImGui::Text("%d", c.value("support", 0));
                    for (const char* k : {"precision", "recall", "f1"}) {
                        ImGui::TableNextColumn();
                        double v = num(c, k);
                        if (std::isnan(v))
                            text_dim("-");
                        else
                            ImGui::Text("%.3f", v);
                    }
                }
            }
            ImGui::EndTable();
        }
        ImGui::TreePop();
    }
    auto conf = m.find("confusions");
    if (conf != m.end() && conf->is_array() && !conf->empty() &&
        ImGui::TreeNode("confusions", "Largest confusions (%zu)", conf->size())) {
        for (const auto& c : *conf) {
            std::string line = std::to_string(c.value("count", 0)) + "x  " +
                               c.value("truth", std::string()) + "  ->  " +
                               c.value("predicted", std::string());
            ImGui::TextUnformatted(line.c_str());
        }
        ImGui::TreePop();
    }
}

void job_view(Frame& f, const jobs::Job& job) {
    ImGui::AlignTextToFramePadding();
    if (f.fonts.mono) ImGui::PushFont(f.fonts.mono);
    ImGui::TextUnformatted(job.id.c_str());
    if (f.fonts.mono) ImGui::PopFont();
    ImGui::SameLine();
    status_badge(jobs::to_string(job.status));
    ImGui::SameLine();
    if (ImGui::SmallButton("Copy ID")) ImGui::SetClipboardText(job.id.c_str());
    ImGui::PushTextWrapPos(0);
    auto field = [](const char* name, const std::string& value) {
        if (value.empty()) return;
        ImGui::TextDisabled("%s", name);
        ImGui::SameLine();
        ImGui::TextUnformatted(value.c_str());
    };
    field("Created:", app::iso_to_local(job.created));
    field("Started:", job.started.empty() ? "" : app::iso_to_local(job.started));
    field("Finished:", job.finished.empty() ? "" : app::iso_to_local(job.finished));
    field("Duration:",
          job.duration_seconds() >= 0 ? app::format_duration(job.duration_seconds()) : "");
    field("Stage:", job.stage);
    field("Model:", job.model_version > 0 ? "v" + std::to_string(job.model_version) : "");
    field("Attempts:", std::to_string(job.attempts));
    field("Details:", job.details);
    if (!job.error.empty()) {
        ImGui::TextDisabled("Error:");
        ImGui::SameLine();
        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.60f, 0.11f, 0.11f, 1));
        ImGui::TextUnformatted(job.error.c_str());
        ImGui::PopStyleColor();
    }
    ImGui::PopTextWrapPos();

    if (ImGui::CollapsingHeader("Files", ImGuiTreeNodeFlags_DefaultOpen)) {
        ImGuiTableFlags tf = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg |
                             ImGuiTableFlags_ScrollY | ImGuiTableFlags_Resizable |
                             ImGuiTableFlags_SizingStretchProp;
        const float row = ImGui::GetTextLineHeight() + ImGui::GetStyle().CellPadding.y * 2 + 1;
        float h = row * (std::min<float>(static_cast<float>(job.files.size()), 8.0f) + 1) + 4;
        if (ImGui::BeginTable("files", 7, tf, ImVec2(0, h))) {
            ImGui::TableSetupScrollFreeze(0, 1);
            ImGui::TableSetupColumn("Name", ImGuiTableColumnFlags_WidthStretch, 3.0f);
            ImGui::TableSetupColumn("Size", ImGuiTableColumnFlags_WidthStretch, 1.0f);
            ImGui::TableSetupColumn("Format", ImGuiTableColumnFlags_WidthStretch, 1.0f);
            ImGui::TableSetupColumn("Records", ImGuiTableColumnFlags_WidthStretch, 0.9f);
            ImGui::TableSetupColumn("Labelled", ImGuiTableColumnFlags_WidthStretch, 0.9f);
            ImGui::TableSetupColumn("Skipped", ImGuiTableColumnFlags_WidthStretch, 0.9f);
            ImGui::TableSetupColumn("Result", ImGuiTableColumnFlags_WidthStretch, 3.0f);
            ImGui::TableHeadersRow();
            ImGuiListClipper clip;
            clip.Begin(static_cast<int>(job.files.size()));
            while (clip.Step()) {
                for (int i = clip.DisplayStart; i < clip.DisplayEnd; ++i) {
                    const jobs::JobFile& jf = job.files[static_cast<std::size_t>(i)];
                    ImGui::TableNextRow();
                    ImGui::TableNextColumn();
                    text_with_tooltip(app::truncate_utf8(jf.original_name, 60), jf.original_name);
                    ImGui::TableNextColumn();
                    ImGui::TextUnformatted(app::format_file_size(jf.size_bytes).c_str());
                    ImGui::TableNextColumn();
                    ImGui::TextUnformatted(jf.format.empty() ? "-" : jf.format.c_str());
                    ImGui::TableNextColumn();
                    if (jf.records >= 0) ImGui::Text("%lld", static_cast<long long>(jf.records));
                    ImGui::TableNextColumn();
                    if (jf.labelled >= 0) ImGui::Text("%lld", static_cast<long long>(jf.labelled));
                    ImGui::TableNextColumn();
                    ImGui::Text("%lld", static_cast<long long>(jf.skipped));
                    ImGui::TableNextColumn();
                    std::string result = jf.error;
                    for (const auto& w : jf.warnings) result += (result.empty() ? "" : "; ") + w;
                    for (const auto& r : jf.skip_reasons) {
                        result += (result.empty() ? "" : "; ") + r;
                    }
                    if (result.empty()) result = jf.accepted() ? "ok" : "not stored";
                    if (!jf.error.empty()) {
                        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.60f, 0.11f, 0.11f, 1));
                    }
                    text_with_tooltip(app::truncate_utf8(result, 80), result);
                    if (!jf.error.empty()) ImGui::PopStyleColor();
                }
            }
            ImGui::EndTable();
        }
    }
    if (ImGui::CollapsingHeader("Metrics", ImGuiTreeNodeFlags_DefaultOpen)) {
        metrics_section(job.metrics);
        if (job.result.is_object()) {
            std::string reason = job.result.value("promotion_reason", std::string());
            if (!reason.empty()) {
                ImGui::PushTextWrapPos(0);
                ImGui::TextUnformatted(("Promotion: " + reason).c_str());
                ImGui::PopTextWrapPos();
            }
        }
    }
    if (!job.curve.empty() && ImGui::CollapsingHeader("Training curve")) {
        std::vector<float> values;
        values.reserve(job.curve.size());
        for (const auto& p : job.curve) values.push_back(static_cast<float>(p.value));
        ImGui::PlotLines("##jobcurve", values.data(), static_cast<int>(values.size()), 0,
                         job.curve.back().metric.c_str(), FLT_MAX, FLT_MAX,
                         ImVec2(ImGui::GetContentRegionAvail().x, ImGui::GetFontSize() * 6));
    }
    if (ImGui::CollapsingHeader("Log")) {
        float h = ImGui::GetTextLineHeightWithSpacing() *
                  std::min<float>(static_cast<float>(job.log.size()) + 1.0f, 12.0f);
        ImGui::BeginChild("##log", ImVec2(0, h), true, ImGuiWindowFlags_HorizontalScrollbar);
        ImGuiListClipper clip;
        clip.Begin(static_cast<int>(job.log.size()));
        while (clip.Step()) {
            for (int i = clip.DisplayStart; i < clip.DisplayEnd; ++i) {
                const auto& l = job.log[static_cast<std::size_t>(i)];
                std::string line = app::iso_to_local(l.time) + "  " + l.message;
                ImGui::TextUnformatted(line.c_str());
            }
        }
        ImGui::EndChild();
    }
}

}  // namespace

void draw_history_tab(Frame& f) {
    toolbar(f);
    table(f);
}

void draw_job_view_popup(Frame& f) {
    if (f.state.open_view_popup) {
        ImGui::OpenPopup("Job record");
        f.state.open_view_popup = false;
    }
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    ImGui::SetNextWindowSize(ImVec2(vp->WorkSize.x * 0.85f, vp->WorkSize.y * 0.85f),
                             ImGuiCond_Appearing);
    ImGui::SetNextWindowPos(
        ImVec2(vp->WorkPos.x + vp->WorkSize.x * 0.5f, vp->WorkPos.y + vp->WorkSize.y * 0.5f),
        ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
    bool open = true;
    if (!ImGui::BeginPopupModal("Job record", &open)) {
        if (!f.state.view_job_id.empty() && !ImGui::IsPopupOpen("Job record")) {
            f.state.view_job_id.clear();
            f.jobs.close_job();
        }
        return;
    }
    const auto& job = f.jobs.viewed_job();
    if (f.state.view_job_id.empty()) {
        ImGui::CloseCurrentPopup();
    } else if (job && job->id == f.state.view_job_id) {
        job_view(f, *job);
    } else if (f.jobs.viewed_loading()) {
        text_dim("Loading...");
    } else {
        text_dim("This job is no longer in the store.");
    }
    if (!open || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape))) {
        f.state.view_job_id.clear();
        f.jobs.close_job();
        ImGui::CloseCurrentPopup();
    }
    ImGui::EndPopup();
}

}  // namespace htc::ui
