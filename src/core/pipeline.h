#pragma once
// The retrain job: feedback files -> ingest -> sanitize -> (previous corpus + feedback) ->
// stratified split -> train -> calibrate -> evaluate (new and active model on the same
// validation split) -> register -> promote when not worse.
#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ingest/ingest.h"
#include "model/engine.h"
#include "model/metrics.h"
#include "model/registry.h"
#include "progress.h"
#include "text/sanitize.h"

namespace htc {

enum class PromotePolicy { IfNotWorse, Always, Never };
PromotePolicy parse_promote_policy(const std::string& s);  // "if-not-worse", "always", "never"
std::string to_string(PromotePolicy p);

struct RetrainOptions {
    std::vector<std::string> paths;
    IngestOptions ingest;
    SanitizeOptions sanitize;
    std::string engine = "auto";
    EngineParams params;
    double validation_fraction = 0.2;
    PromotePolicy promote = PromotePolicy::IfNotWorse;  // --force == Always
    bool extend_corpus = true;  // train on the active model's corpus plus the new feedback
    std::vector<std::string> pinned_test_files;  // scored on every retrain, gate promotion
    // Also score on the sets pinned in <data>/testsets/ (testsets.h).
    bool use_pinned_sets = true;
    // File names (not paths) whose examples are corrections of predictions: always trained
    // on, never held out for validation, and remembered as such in the corpus.
    std::vector<std::string> train_only_files;
    std::string job_id;
    nlohmann::json to_json() const;
    static RetrainOptions from_json(const nlohmann::json& j);
};

struct RetrainResult {
    std::vector<FileReport> files;
    SanitizeStats sanitize;
    std::size_t feedback_examples = 0;  // usable examples from the new files
    std::size_t corpus_examples = 0;    // total examples trained + validated on
    std::size_t train_examples = 0, validation_examples = 0;
    int num_classes = 0;
    std::string engine;
    int version = 0;                 // registered version (0 when none)
    int previous_version = 0;        // active version before this job (0 = none)
    bool promoted = false;
    std::string promotion_reason;    // why it was or was not promoted
    Metrics metrics;                 // new model on the validation split
    std::optional<Metrics> previous_metrics;  // the previous active model on the same split
    std::size_t corrections = 0;     // train-only examples (corrections) in the corpus
    std::vector<std::string> pinned_files;     // pinned test files scored
    std::optional<Metrics> pinned_metrics;     // new model on the pinned test sets
    std::optional<Metrics> previous_pinned_metrics;  // the previous active model on them
    double train_seconds = 0;
    std::uint64_t model_bytes = 0;
    nlohmann::json curve;            // training curve points [[fraction, value], ...]
    nlohmann::json to_json() const;
};

// Runs the whole job. Throws Cancelled when *cancel is set, std::runtime_error with a
// user-facing message on failure (no usable data, fewer than 2 classes, training diverged ...).
// A failed or cancelled run never changes the active model and leaves no committed version.
RetrainResult retrain(const Registry& registry, const RetrainOptions& opts,
                      const ProgressFn& progress = {}, const std::atomic<bool>* cancel = nullptr);

// Scores the active (or given) model on labelled files.
struct EvaluateResult {
    std::vector<FileReport> files;
    int version = 0;
    Metrics metrics;
    nlohmann::json to_json() const;
};
EvaluateResult evaluate_files(const Registry& registry, const std::vector<std::string>& paths,
                              const IngestOptions& ingest, int version = 0);

}  // namespace htc
