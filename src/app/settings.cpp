#include "app/settings.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "model/registry.h"

namespace htc::app {

using nlohmann::json;

namespace {

template <typename T>
void read(const json& j, const char* key, T& out) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return;
    try {
        out = it->get<T>();
    } catch (const json::exception&) {
        // A field of the wrong type keeps its default; the others still load.
    }
}

}  // namespace

GuiSettings load_settings(const std::string& path, std::string* warning) {
    GuiSettings s;
    std::ifstream in(path, std::ios::binary);
    if (!in) return s;
    std::stringstream buf;
    buf << in.rdbuf();
    json j = json::parse(buf.str(), nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) {
        if (warning) *warning = path + ": not a JSON object; using default settings";
        return s;
    }
    read(j, "scale", s.scale);
    if (!(s.scale >= 0.5 && s.scale <= 4.0)) s.scale = 0;
    read(j, "tab", s.tab);
    read(j, "window_width", s.window_width);
    read(j, "window_height", s.window_height);
    read(j, "maximized", s.maximized);
    read(j, "history_status", s.history_status);
    if (auto t = j.find("training"); t != j.end() && t->is_object()) {
        read(*t, "engine", s.training.engine);
        if (auto p = t->find("params"); p != t->end() && p->is_object()) {
            try {
                s.training.params = EngineParams::from_json(*p);
            } catch (const std::exception&) {
            }
        }
        read(*t, "validation_fraction", s.training.validation_fraction);
        read(*t, "promote", s.training.promote);
        read(*t, "extend_corpus", s.training.extend_corpus);
        read(*t, "mask_pii", s.training.mask_pii);
        read(*t, "min_confidence", s.training.min_confidence);
        read(*t, "text_col", s.training.text_col);
        read(*t, "label_cols", s.training.label_cols);
        read(*t, "label_sep", s.training.label_sep);
        if (s.training.label_sep.empty()) s.training.label_sep = "/";
    }
    s.window_width = std::max(320, std::min(s.window_width, 16384));
    s.window_height = std::max(240, std::min(s.window_height, 16384));
    return s;
}

void save_settings(const std::string& path, const GuiSettings& s) {
    json t = {{"engine", s.training.engine},
              {"params", s.training.params.to_json()},
              {"validation_fraction", s.training.validation_fraction},
              {"promote", s.training.promote},
              {"extend_corpus", s.training.extend_corpus},
              {"mask_pii", s.training.mask_pii},
              {"min_confidence", s.training.min_confidence},
              {"text_col", s.training.text_col},
              {"label_cols", s.training.label_cols},
              {"label_sep", s.training.label_sep}};
    json j = {{"scale", s.scale},
              {"tab", s.tab},
              {"window_width", s.window_width},
              {"window_height", s.window_height},
              {"maximized", s.maximized},
              {"history_status", s.history_status},
              {"training", t}};
    write_file_atomic(path, j.dump(2) + "\n");
}

}  // namespace htc::app
