#include "model/model.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "model/registry.h"

namespace fs = std::filesystem;

namespace htc {

namespace {

// Softmax of scores / T into `out`, in a numerically stable way.
void softmax(const std::vector<float>& scores, double temperature, std::vector<float>& out) {
    out.resize(scores.size());
    if (scores.empty()) return;
    double mx = *std::max_element(scores.begin(), scores.end());
    double sum = 0;
    for (std::size_t i = 0; i < scores.size(); ++i) {
        double e = std::exp((scores[i] - mx) / temperature);
        out[i] = static_cast<float>(e);
        sum += e;
    }
    for (auto& p : out) p = static_cast<float>(p / sum);
}

double mean_nll(const std::vector<std::vector<float>>& scores, const std::vector<int>& labels,
                double temperature) {
    double total = 0;
    for (std::size_t i = 0; i < scores.size(); ++i) {
        const auto& s = scores[i];
        double mx = *std::max_element(s.begin(), s.end());
        double sum = 0;
        for (float v : s) sum += std::exp((v - mx) / temperature);
        total += -((s[labels[i]] - mx) / temperature - std::log(sum));
    }
    return total / static_cast<double>(scores.size());
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + p.string());
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

double fit_temperature(const std::vector<std::vector<float>>& scores,
                       const std::vector<int>& labels) {
    if (scores.empty()) return 1.0;
    // The NLL is unimodal in log T for a fixed set of scores: golden-section search.
    double lo = std::log(1e-3), hi = std::log(1e3);
    const double g = (std::sqrt(5.0) - 1) / 2;
    double a = hi - g * (hi - lo), b = lo + g * (hi - lo);
    double fa = mean_nll(scores, labels, std::exp(a)), fb = mean_nll(scores, labels, std::exp(b));
    for (int it = 0; it < 60; ++it) {
        if (fa < fb) {
            hi = b;
            b = a;
            fb = fa;
            a = hi - g * (hi - lo);
            fa = mean_nll(scores, labels, std::exp(a));
        } else {
            lo = a;
            a = b;
            fa = fb;
            b = lo + g * (hi - lo);
            fb = mean_nll(scores, labels, std::exp(b));
        }
    }
    return std::exp((lo + hi) / 2);
}

std::vector<float> Model::probabilities(const std::string& sanitized) const {
    std::vector<float> p;
    softmax(engine->scores(sanitized), temperature, p);
    return p;
}

Prediction Model::predict(const std::string& raw_text, double min_confidence) const {
    Prediction out;
    auto probs = probabilities(sanitize_text(raw_text, sanitize));
    out.path = decode_path(taxonomy, probs, min_confidence);
    std::vector<int> idx(probs.size());
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int>(i);
    std::size_t k = std::min<std::size_t>(3, idx.size());
    std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                      [&](int a, int b) { return probs[a] > probs[b]; });
    for (std::size_t i = 0; i < k; ++i)
        out.top.emplace_back(taxonomy.path_of_class(idx[i]), std::min(1.0, double(probs[idx[i]])));
    return out;
}

void Model::save(const std::string& dir) const {
    fs::create_directories(dir);
    engine->save((fs::path(dir) / "model.bin").string());
    nlohmann::json tax;
    taxonomy.to_json(tax);
    write_file_atomic((fs::path(dir) / "taxonomy.json").string(), tax.dump());
    nlohmann::json cal = {{"engine", engine->name()},
                          {"temperature", temperature},
                          {"mask_pii", sanitize.mask_pii},
                          {"case_fold", sanitize.case_fold}};
    write_file_atomic((fs::path(dir) / "calibration.json").string(), cal.dump(2));
}

std::shared_ptr<const Model> Model::load(const std::string& dir) {
    auto m = std::make_shared<Model>();
    try {
        auto cal = nlohmann::json::parse(slurp(fs::path(dir) / "calibration.json"));
        m->temperature = cal.at("temperature").get<double>();
        m->sanitize.mask_pii = cal.value("mask_pii", true);
        m->sanitize.case_fold = cal.value("case_fold", true);
        m->taxonomy = Taxonomy::from_json(nlohmann::json::parse(slurp(fs::path(dir) / "taxonomy.json")));
        m->engine = make_engine(cal.at("engine").get<std::string>());
        m->engine->load((fs::path(dir) / "model.bin").string());
    } catch (const std::exception& e) {
        throw std::runtime_error("cannot load the model in " + dir + ": " + e.what());
    }
    if (m->engine->num_classes() != m->taxonomy.num_classes())
        throw std::runtime_error("cannot load the model in " + dir +
                                 ": engine and taxonomy disagree on the number of classes");
    return m;
}

}  // namespace htc
