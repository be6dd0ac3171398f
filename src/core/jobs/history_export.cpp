#include "jobs/history_export.h"

#include <cmath>
#include <cstdio>

#include "model/registry.h"

namespace htc::jobs {

namespace {

std::string fixed(double v, const char* fmt) {
    if (!std::isfinite(v)) return {};
    char buf[48];
    std::snprintf(buf, sizeof buf, fmt, v);
    return buf;
}

// A metric from Metrics::to_json(), "" when absent or not a number (null = "no value").
std::string metric(const nlohmann::json& m, const char* key) {
    if (!m.is_object()) return {};
    auto it = m.find(key);
    if (it == m.end() || !it->is_number()) return {};
    return fixed(it->get<double>(), "%.4f");
}

std::string level1(const nlohmann::json& m) {
    if (!m.is_object()) return {};
    auto it = m.find("level_accuracy");
    if (it == m.end() || !it->is_array() || it->empty() || !(*it)[0].is_number()) return {};
    return fixed((*it)[0].get<double>(), "%.4f");
}

void append_row(std::string& out, const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
        if (i) out += ',';
        out += csv_cell(cells[i]);
    }
    out += "\r\n";
}

}  // namespace

std::string csv_cell(std::string_view value) {
    std::string v = display_text(value);
    if (!v.empty() &&
        (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r'))
        v.insert(v.begin(), '\'');
    if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
    std::string q = "\"";
    for (char c : v) {
        if (c == '"') q += '"';
        q += c;
    }
    q += '"';
    return q;
}

std::string history_csv(const std::vector<Job>& jobs) {
    std::string out = "\xEF\xBB\xBF";
    append_row(out, {"Job ID", "Timestamp", "Status", "Details", "Error", "Started", "Finished",
                     "Duration (s)", "Files", "Model version", "Leaf accuracy", "Level-1 accuracy",
                     "Hierarchical F1"});
    for (const auto& j : jobs) {
        std::string files;
        for (const auto& f : j.files) {
            if (!files.empty()) files += "; ";
            files += f.original_name;
        }
        double d = j.duration_seconds();
        append_row(out, {j.id, j.created, to_string(j.status), j.details, j.error, j.started,
                         j.finished, d >= 0 ? fixed(d, "%.1f") : std::string(), files,
                         j.model_version > 0 ? "v" + std::to_string(j.model_version) : "",
                         metric(j.metrics, "leaf_accuracy"), level1(j.metrics),
                         metric(j.metrics, "h_f1")});
    }
    return out;
}

void write_history_csv(const std::string& path, const std::vector<Job>& jobs) {
    write_file_atomic(path, history_csv(jobs));
}

std::string default_export_file_name(std::int64_t epoch_ms) {
    return "htc-retrain-history-" + local_date_string(epoch_ms) + ".csv";
}

nlohmann::json seed_records_json(const std::vector<Job>& jobs) {
    auto a = nlohmann::json::array();
    for (const auto& j : jobs) a.push_back(j.seed_record());
    return a;
}

void write_seed_records_json(const std::string& path, const std::vector<Job>& jobs) {
    write_file_atomic(path, seed_records_json(jobs).dump(2, ' ', false,
                                                         nlohmann::json::error_handler_t::replace) +
                                "\n");
}

}  // namespace htc::jobs
