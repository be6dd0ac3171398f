#include "model/engine.h"

#include <stdexcept>

#include "model/fasttext_engine.h"
#include "model/linear_engine.h"

namespace htc {

namespace {

// TODO(measure): crossover where fastText matches linear while training faster.
constexpr std::size_t kFastTextMinDocuments = 50000;

template <class T>
T param_or(const nlohmann::json& j, const char* key, T fallback) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    if (!it->is_number())
        throw std::invalid_argument(std::string("engine parameter '") + key +
                                    "' must be a number, got " + it->dump());
    if constexpr (std::is_integral_v<T>) {
        if (!it->is_number_integer() && !(it->is_number_float() &&
                                          it->get<double>() == double(it->get<long long>())))
            throw std::invalid_argument(std::string("engine parameter '") + key +
                                        "' must be a whole number, got " + it->dump());
        return static_cast<T>(it->get<long long>());
    } else {
        return it->get<T>();
    }
}

}  // namespace

nlohmann::json EngineParams::to_json() const {
    return {{"C", C},         {"min_df", min_df}, {"max_ngram", max_ngram},
            {"prune_threshold", prune_threshold}, {"epochs", epochs},
            {"lr", lr},       {"dim", dim},       {"threads", threads},
            {"seed", seed}};
}

EngineParams EngineParams::from_json(const nlohmann::json& j) {
    if (!j.is_object())
        throw std::invalid_argument("engine parameters must be a JSON object, got " + j.dump());
    EngineParams p;
    p.C = param_or(j, "C", p.C);
    p.min_df = param_or(j, "min_df", p.min_df);
    p.max_ngram = param_or(j, "max_ngram", p.max_ngram);
    p.prune_threshold = param_or(j, "prune_threshold", p.prune_threshold);
    p.epochs = param_or(j, "epochs", p.epochs);
    p.lr = param_or(j, "lr", p.lr);
    p.dim = param_or(j, "dim", p.dim);
    p.threads = param_or(j, "threads", p.threads);
    p.seed = param_or(j, "seed", p.seed);
    return p;
}

std::unique_ptr<Engine> make_engine(const std::string& name) {
    if (name == "linear") return std::make_unique<LinearEngine>();
    if (name == "fasttext") return std::make_unique<FastTextEngine>();
    throw std::invalid_argument("unknown engine '" + name + "' (expected linear or fasttext)");
}

std::string choose_engine(std::size_t num_docs, std::size_t num_classes) {
    (void)num_classes;
    return num_docs >= kFastTextMinDocuments ? "fasttext" : "linear";
}

}  // namespace htc
