#pragma once
// Text classifier engines behind one interface.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "progress.h"

namespace htc {

struct EngineParams {
    // linear (TF-IDF word 1-2-grams, sublinear tf, LIBLINEAR one-vs-rest)
    double C = 2.0;              // measured on DBpedia/WOS, see linear_engine.h
    int min_df = 0;              // features seen in fewer documents are dropped (0 = engine default)
    int max_ngram = 2;
    double prune_threshold = 0.0; // |w| below this is dropped when storing (0 = engine default)
    // fasttext
    int epochs = 0;              // 0 = engine default
    double lr = 0.0;             // 0 = engine default
    int dim = 0;                 // 0 = sized to the data
    int threads = 0;             // 0 = hardware concurrency
    int seed = 1;
    nlohmann::json to_json() const;
    static EngineParams from_json(const nlohmann::json& j);
};

// A trained classifier over `num_classes` classes. Predictions are raw scores; the model
// bundle (model/model.h) turns them into calibrated probabilities.
class Engine {
public:
    virtual ~Engine() = default;
    virtual std::string name() const = 0;  // "linear" or "fasttext"
    // texts are sanitized; labels are class ids in [0, num_classes). Reports progress in
    // [0,1] of the training stage through `progress` (stage "train") and throws Cancelled
    // when *cancel becomes true. Throws std::runtime_error on a training failure (for
    // example a diverging loss).
    virtual void train(const std::vector<std::string>& texts, const std::vector<int>& labels,
                       int num_classes, const EngineParams& params, const ProgressFn& progress,
                       const std::atomic<bool>* cancel) = 0;
    // One raw score per class. For linear: decision values; for fasttext: log-probabilities.
    virtual std::vector<float> scores(const std::string& text) const = 0;
    virtual void save(const std::string& path) const = 0;  // writes exactly this file
    virtual void load(const std::string& path) = 0;
    virtual int num_classes() const = 0;
    virtual nlohmann::json info() const = 0;  // sizes: features, nonzeros, dim ...
};

std::unique_ptr<Engine> make_engine(const std::string& name);  // throws on unknown name

// Which engine `auto` picks for a corpus of this many training documents (see README for
// the measured crossover).
std::string choose_engine(std::size_t num_docs, std::size_t num_classes);

}  // namespace htc
