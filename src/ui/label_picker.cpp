// Label picker: the model's label tree, filterable, with the option of a new label (asked for
// confirmation, since it adds a class at the next retrain).
#include <algorithm>
#include <cctype>
#include <string>

#include "model/taxonomy.h"
#include "ui/ui.h"

namespace htc::ui {

namespace {

bool contains_nocase(const std::string& hay, const std::string& needle) {
    if (needle.empty()) return true;
    auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) ==
               std::tolower(static_cast<unsigned char>(b));
    });
    return it != hay.end();
}

int depth_of(const std::string& path) {
    return static_cast<int>(std::count(path.begin(), path.end(), '/'));
}

std::string last_segment(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The tree from sorted node paths (every ancestor is in the list).
void draw_tree(const std::vector<std::string>& paths, std::string& selected,
               const std::string& predicted) {
    int open_depth = 0;
    for (std::size_t i = 0; i < paths.size(); ++i) {
        const std::string& p = paths[i];
        int d = depth_of(p);
        while (open_depth > d) {
            ImGui::TreePop();
            --open_depth;
        }
        if (d > open_depth) continue;  // a closed ancestor
        bool leaf = !(i + 1 < paths.size() && paths[i + 1].size() > p.size() &&
                      paths[i + 1].compare(0, p.size(), p) == 0 && paths[i + 1][p.size()] == '/');
        ImGuiTreeNodeFlags flags = ImGuiTreeNodeFlags_OpenOnArrow |
                                   ImGuiTreeNodeFlags_SpanAvailWidth |
                                   ImGuiTreeNodeFlags_OpenOnDoubleClick;
        if (leaf) flags |= ImGuiTreeNodeFlags_Leaf | ImGuiTreeNodeFlags_NoTreePushOnOpen;
        if (selected == p) flags |= ImGuiTreeNodeFlags_Selected;
        // The predicted path starts unfolded, so the likely neighbours are at hand.
        if (!leaf && predicted.compare(0, p.size() + 1, p + "/") == 0)
            ImGui::SetNextItemOpen(true, ImGuiCond_Appearing);
        std::string name = last_segment(p);
        if (p == predicted) name += "   (predicted)";
        bool open = ImGui::TreeNodeEx(p.c_str(), flags, "%s", name.c_str());
        if (ImGui::IsItemClicked() && !ImGui::IsItemToggledOpen()) selected = p;
        if (!leaf && open) ++open_depth;
    }
    while (open_depth > 0) {
        ImGui::TreePop();
        --open_depth;
    }
}

}  // namespace

bool label_picker_popup(Frame& f, const std::string& predicted, std::string* chosen) {
    UiState& st = f.state;
    const auto& paths = f.controller.label_paths();
    bool saved = false;
    const float em = ImGui::GetFontSize();
    ImGui::SetNextWindowSize(ImVec2(em * 34, em * 30), ImGuiCond_Appearing);
    if (!ImGui::BeginPopupModal("Correct label", nullptr, ImGuiWindowFlags_NoSavedSettings))
        return false;
    ImGui::TextUnformatted("Predicted:");
    ImGui::SameLine();
    ImGui::TextUnformatted(predicted.c_str());
    ImGui::SetNextItemWidth(-1);
    if (ImGui::IsWindowAppearing()) ImGui::SetKeyboardFocusHere();
    ImGui::InputTextWithHint("##filter", "Filter labels (e.g. boxer)", st.picker_filter,
                             sizeof st.picker_filter);
    const float bottom = ImGui::GetFrameHeightWithSpacing() * 3.6f;
    ImGui::BeginChild("##labels", ImVec2(0, -bottom), true);
    if (paths.empty()) {
        text_dim("No labels known yet: classify a document first.");
    } else if (st.picker_filter[0]) {
        std::string needle = st.picker_filter;
        int shown = 0;
        for (const auto& p : paths) {
            if (!contains_nocase(p, needle)) continue;
            ++shown;
            if (ImGui::Selectable(p.c_str(), st.picker_selected == p,
                                  ImGuiSelectableFlags_AllowDoubleClick)) {
                st.picker_selected = p;
            }
        }
        if (shown == 0) text_dim("No label matches; type a new label below.");
    } else {
        draw_tree(paths, st.picker_selected, predicted);
    }
    ImGui::EndChild();

    ImGui::SetNextItemWidth(-ImGui::CalcTextSize("Use new label").x - em * 1.5f);
    ImGui::InputTextWithHint("##new", "or a new label path, e.g. Agent/Athlete/Curler",
                             st.picker_new_label, sizeof st.picker_new_label);
    ImGui::SameLine();
    std::string err;
    auto parsed = parse_label_path(st.picker_new_label, &err);
    if (button_enabled("Use new label", parsed.has_value(),
                       st.picker_new_label[0] ? "Not a label path: " + err : "Type a label path")) {
        std::string p = parsed->str();
        if (std::binary_search(paths.begin(), paths.end(), p)) {
            st.picker_selected = p;
        } else {
            st.picker_selected = p;
            st.picker_confirm_new = true;
        }
    }
    if (st.picker_confirm_new) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.52f, 0.30f, 0.05f, 1));
        std::string q = "'" + st.picker_selected +
                        "' is not in the model's label tree: it becomes a new class at the next "
                        "retrain. Add it?";
        ImGui::PushTextWrapPos(0);
        ImGui::TextUnformatted(q.c_str());
        ImGui::PopTextWrapPos();
        ImGui::PopStyleColor();
        if (ImGui::Button("Add new label")) {
            *chosen = st.picker_selected;
            saved = true;
        }
        ImGui::SameLine();
        if (ImGui::Button("Back")) {
            st.picker_confirm_new = false;
            st.picker_selected.clear();
        }
    } else {
        std::string sel = st.picker_selected.empty() ? "Choose a label" : st.picker_selected;
        ImGui::TextUnformatted(("Correct label: " + sel).c_str());
        if (button_enabled("Save correction", !st.picker_selected.empty(),
                           "Choose a label in the tree")) {
            *chosen = st.picker_selected;
            saved = true;
        }
        ImGui::SameLine();
        if (ImGui::Button("Cancel") || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape))) {
            st.picker_row = 0;
            ImGui::CloseCurrentPopup();
        }
    }
    if (saved) {
        st.picker_confirm_new = false;
        ImGui::CloseCurrentPopup();
    }
    ImGui::EndPopup();
    return saved;
}

}  // namespace htc::ui
