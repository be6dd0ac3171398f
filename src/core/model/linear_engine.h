#pragma once
// TF-IDF word n-grams + LIBLINEAR L2-regularised L2-loss SVM (dual), one-vs-rest with a bias
// term: the same model as scikit-learn's TfidfVectorizer + LinearSVC.
//
// Each class is trained as its own binary problem, so LIBLINEAR holds one dense weight
// vector of n_features doubles per worker instead of n_features x n_classes; the weights
// are then kept sparse as floats (|w| below the pruning threshold dropped) and stored
// feature-major, which is what scoring a sparse document needs.
#include <cstdint>
#include <string>
#include <vector>

#include "model/engine.h"
#include "model/tfidf.h"

namespace htc {

class LinearEngine : public Engine {
public:
    // Defaults, measured with a scratch driver against scikit-learn 1.2 (TfidfVectorizer
    // ngram 1-2 sublinear + LinearSVC) on DBpedia (2,500 abstracts, 215 leaf classes; leaf
    // accuracy on three random 80/20 splits and the deterministic stratified split, one
    // training thread):
    //   sklearn C=1                  0.762 0.802 0.780 0.798  (this engine, unpruned: same)
    //   C=1 min_df=1 prune 0.01      0.764 0.800 0.780 0.800   4.4 MB on disk
    //   C=2 min_df=2 prune 0.01      0.788 0.808 0.804 0.808   3.1 MB, ~3x faster training
    // min_df=2 also wins on WOS (549 training abstracts, 131 classes: leaf 0.413 -> 0.457
    // with C=2) and from 500 DBpedia training documents up (+0.2..+3 points), but loses
    // 2-4 points at 300 documents, where most terms of a class occur in one document only.
    static constexpr int kMinDfDocuments = 500;  // min_df 2 from this many documents, else 1
    // |w| below this is dropped. Unpruned, 50% of the n_features x n_classes weights are
    // nonzero (with so few documents nearly every one is a support vector): 15.6 M weights,
    // 80 MB. 0.01 keeps 0.55 M (4.4 MB) at unchanged accuracy (mean leaf over the four
    // splits 0.7861 both; 0.02 gives 0.7866, 0.03 0.7851, 0.05 starts to lose).
    // A negative params.prune_threshold keeps every weight.
    static constexpr double kDefaultPruneThreshold = 0.01;
    // Stopping tolerance of LIBLINEAR's dual solver. Its coordinate order comes from the
    // process-wide rand(), so parallel classes draw interleaved sequences; at LIBLINEAR's
    // default 0.1 that changed 2-3 of 500 DBpedia predictions between identical runs (and
    // 0.01 still 1-2). 0.001 gives the same predictions run after run at ~1.5x the training
    // time of 0.1 (and below sklearn's tol=1e-4, which costs ~1.7x with no accuracy change).
    static constexpr double kTolerance = 0.001;

    // The min_df used for `num_docs` training documents when params.min_df is 0.
    static int default_min_df(std::size_t num_docs) {
        return num_docs >= kMinDfDocuments ? 2 : 1;
    }

    std::string name() const override { return "linear"; }
    void train(const std::vector<std::string>& texts, const std::vector<int>& labels,
               int num_classes, const EngineParams& params, const ProgressFn& progress,
               const std::atomic<bool>* cancel) override;
    std::vector<float> scores(const std::string& text) const override;
    void save(const std::string& path) const override;
    void load(const std::string& path) override;
    int num_classes() const override { return num_classes_; }
    nlohmann::json info() const override;

    const TfidfVectorizer& vectorizer() const { return vectorizer_; }

private:
    TfidfVectorizer vectorizer_;
    int num_classes_ = 0;
    // Feature-major sparse weights: feature f has entries [offsets_[f], offsets_[f + 1]).
    std::vector<std::uint64_t> offsets_;
    std::vector<std::uint32_t> weight_class_;
    std::vector<float> weights_;
    std::vector<float> bias_;  // one per class
    double C_ = 1.0;
    double prune_threshold_ = kDefaultPruneThreshold;
    int min_df_ = 1;
    std::uint64_t dense_nonzeros_ = 0;  // nonzero weights before pruning
};

}  // namespace htc
