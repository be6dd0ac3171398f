#pragma once
// Evaluation of hierarchical predictions.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/taxonomy.h"

namespace htc {

struct ClassMetrics {
    std::string label;  // full path
    int level = 0;      // 1-based depth
    int support = 0;
    double precision = 0, recall = 0, f1 = 0;
};

struct Confusion {
    std::string truth, predicted;
    int count = 0;
};

struct Metrics {
    int documents = 0;
    std::vector<double> level_accuracy;  // index 0 = level 1; a document with a shorter true path
                                         // is not counted at deeper levels
    double leaf_accuracy = 0;            // the full predicted path equals the true path
    double micro_f1 = 0, macro_f1 = 0;   // over all labels at all levels (HiAGM convention)
    double h_precision = 0, h_recall = 0, h_f1 = 0;  // Kiritchenko: ancestor-augmented sets
    std::vector<ClassMetrics> per_class;  // every node seen in truth or prediction
    std::vector<Confusion> confusions;    // largest leaf confusions first (at most 20)
    nlohmann::json to_json() const;
    static Metrics from_json(const nlohmann::json& j);
};

Metrics evaluate(const std::vector<LabelPath>& truth, const std::vector<LabelPath>& predicted);

// Deterministic stratified split: per class, documents sorted by a stable 64-bit hash of their
// text; the lowest-hash `fraction` (rounded, at least one when the class has >= 2 documents,
// none when it has one) goes to validation. The same on every run and machine.
struct Split {
    std::vector<int> train, validation;  // indices into the input
};
Split stratified_split(const std::vector<std::string>& texts, const std::vector<int>& labels,
                       double fraction = 0.2);

std::uint64_t stable_hash(std::string_view s);  // FNV-1a 64

}  // namespace htc
