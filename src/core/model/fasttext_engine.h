#pragma once
// fastText supervised classifier (libfasttext 0.9.2) behind the Engine interface.
//
// Model file: a 32-byte header (magic, format version, class count, payload size, FNV-1a
// checksum) followed by an unmodified fastText .bin (`tail -c +33 model.bin > ft.bin` gives a
// file the `fasttext` command reads). The header exists because fastText's own loader does not survive
// damaged files: a file cut inside the dictionary makes Dictionary::load loop forever, one cut
// inside the matrices aborts on an assertion. Every byte is verified before fastText sees it.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/engine.h"

namespace fasttext {
class FastText;
}

namespace htc {

class FastTextEngine : public Engine {
public:
    // Defaults measured on DBpedia (2,000 training documents, 215 classes); see
    // fasttext_engine.cpp for the figures.
    static constexpr int kDefaultEpochs = 50;
    static constexpr double kDefaultLr = 1.0;
    static constexpr int kWordNgrams = 2;

    FastTextEngine();
    ~FastTextEngine() override;

    std::string name() const override { return "fasttext"; }
    void train(const std::vector<std::string>& texts, const std::vector<int>& labels,
               int num_classes, const EngineParams& params, const ProgressFn& progress,
               const std::atomic<bool>* cancel) override;
    std::vector<float> scores(const std::string& text) const override;
    void save(const std::string& path) const override;
    void load(const std::string& path) override;
    int num_classes() const override { return num_classes_; }
    nlohmann::json info() const override;

    // Hash buckets for word n-grams given the number of distinct n-grams in the corpus.
    static int bucket_for(std::uint64_t distinct_ngrams);
    // Embedding size when params.dim is 0.
    static int dim_for(std::size_t num_docs);

private:
    class Model;  // fasttext::FastText with access to its loader checks
    // fastText label index -> class id, checking that every label is "__label__<id>".
    static std::vector<int> index_labels(const fasttext::FastText& ft, int num_classes);

    std::unique_ptr<Model> ft_;
    int num_classes_ = 0;
    std::vector<int> class_of_label_;  // fastText label index -> class id
    double final_loss_ = -1;
};

}  // namespace htc
