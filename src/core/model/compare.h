#pragma once
// Side-by-side comparison of two model versions: overall metrics with deltas, per-class F1
// changes (largest classes first), confusions that appeared or disappeared, and both training
// curves. By default each version is judged by the metrics stored with it (its own
// validation split); given labelled files, both are scored on those same documents.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ingest/ingest.h"
#include "model/metrics.h"
#include "model/registry.h"

namespace htc {

struct MetricDelta {
    std::string name;  // "level 1 accuracy", "leaf accuracy", "hierarchical F1" ...
    double a = 0, b = 0;
    double delta() const { return b - a; }
};

struct ClassDelta {
    std::string label;
    int level = 0;
    int support_a = 0, support_b = 0;  // documents of this class in each evaluation
    double f1_a = 0, f1_b = 0;
    bool in_a = false, in_b = false;  // seen in that version's evaluation
    double delta() const { return f1_b - f1_a; }
};

struct ModelComparison {
    int a = 0, b = 0;
    std::string basis;  // what the figures were measured on
    int documents_a = 0, documents_b = 0;
    std::vector<MetricDelta> metrics;
    std::vector<ClassDelta> classes;     // by support (the larger of both) descending, then label
    std::vector<Confusion> appeared;     // confusions of b that a did not have
    std::vector<Confusion> disappeared;  // confusions of a that b no longer has
    nlohmann::json curve_a, curve_b;     // [[fraction, value], ...]
    nlohmann::json to_json() const;
};

ModelComparison compare_metrics(int a, const Metrics& ma, int b, const Metrics& mb);

// Compares versions a and b of the registry. With `on_files`, both models are scored on the
// labelled documents of those files; otherwise their stored metrics are compared. Throws
// std::runtime_error when a version does not exist.
ModelComparison compare_versions(const Registry& registry, int a, int b,
                                 const std::vector<std::string>& on_files = {},
                                 const IngestOptions& ingest = {});

}  // namespace htc
