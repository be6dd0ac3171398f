#pragma once
// Versioned models in the data folder:
//   <data>/models/v0001/{model.bin, taxonomy.json, calibration.json, corpus.jsonl, meta.json}
//   <data>/models/ACTIVE            the active version number (replaced by rename)
//   <data>/models/activations.jsonl one line per change of the active version
// A version directory is reserved with mkdir (atomic across processes) and becomes visible in
// listings only once meta.json exists.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/model.h"

namespace htc {

struct ModelInfo {
    int version = 0;
    std::string created;       // UTC ISO 8601
    int parent = 0;            // version active when this was trained (0 = none)
    std::string engine;
    std::string job_id;
    nlohmann::json params;     // engine + pipeline parameters
    nlohmann::json metrics;    // Metrics::to_json() on this version's validation split
    nlohmann::json data;       // documents, classes, files, sanitizer stats
    nlohmann::json curve;      // training curve points
    double train_seconds = 0;
    std::uint64_t size_bytes = 0;  // model files on disk (without the corpus)
    nlohmann::json to_json() const;
    static ModelInfo from_json(const nlohmann::json& j);
};

std::string version_name(int version);  // 3 -> "v3"
// Accepts "3", "v3", "V3"; throws std::invalid_argument otherwise.
int parse_version(const std::string& s);

class Registry {
public:
    explicit Registry(std::string data_dir);
    const std::string& data_dir() const { return data_dir_; }
    std::string models_dir() const;
    std::string version_dir(int version) const;

    std::vector<ModelInfo> list() const;  // ascending version
    std::optional<ModelInfo> info(int version) const;
    std::optional<int> active() const;
    std::shared_ptr<const Model> load(int version) const;
    std::shared_ptr<const Model> load_active() const;  // nullptr when there is none

    int reserve_version() const;                    // creates the directory, returns the number
    void commit(const ModelInfo& info) const;       // writes meta.json (tmp + rename)
    void discard(int version) const;                // removes a reserved, uncommitted version
    void set_active(int version, const std::string& reason) const;  // atomic (rename)
    // The version active before the current one (from activations.jsonl), if any.
    std::optional<int> previous_active() const;
    void remove(int version) const;                 // refuses the active version
    std::vector<nlohmann::json> activations() const;

private:
    std::string data_dir_;
};

// Write `content` to `path` through a temporary file in the same folder and a rename, with an
// fsync before the rename. Throws std::runtime_error naming the path on failure.
void write_file_atomic(const std::string& path, const std::string& content);
std::string now_iso8601_utc();  // 2026-12-03T18:47:57.123+00:00

}  // namespace htc
