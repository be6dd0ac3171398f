#pragma once
// A trained, versioned model: taxonomy + engine + calibration + the sanitizer settings it was
// trained with. Immutable once loaded; shared as std::shared_ptr<const Model>.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "model/engine.h"
#include "model/taxonomy.h"
#include "text/sanitize.h"

namespace htc {

struct Prediction {
    PathPrediction path;                                // decoded path, confidence per level
    std::vector<std::pair<LabelPath, double>> top;      // best classes with probability (top 3)
};

class Model {
public:
    Taxonomy taxonomy;
    std::unique_ptr<Engine> engine;
    SanitizeOptions sanitize;
    double temperature = 1.0;  // softmax(scores / temperature), fitted on validation data

    // Calibrated class probabilities for an already sanitized text (sum to 1).
    std::vector<float> probabilities(const std::string& sanitized) const;
    // Sanitizes `raw_text`, then predicts.
    Prediction predict(const std::string& raw_text, double min_confidence = 0.0) const;

    void save(const std::string& dir) const;   // model.bin + taxonomy.json + calibration.json
    static std::shared_ptr<const Model> load(const std::string& dir);
};

// Softmax temperature minimising the negative log-likelihood of `labels` under
// softmax(scores / T) (golden-section search on log T).
double fit_temperature(const std::vector<std::vector<float>>& scores, const std::vector<int>& labels);

}  // namespace htc
