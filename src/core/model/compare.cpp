#include "model/compare.h"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include "pipeline.h"

namespace htc {

nlohmann::json ModelComparison::to_json() const {
    auto ms = nlohmann::json::array();
    for (const auto& m : metrics)
        ms.push_back({{"name", m.name}, {"a", m.a}, {"b", m.b}, {"delta", m.delta()}});
    auto cs = nlohmann::json::array();
    for (const auto& c : classes)
        cs.push_back({{"label", c.label},
                      {"level", c.level},
                      {"support_a", c.support_a},
                      {"support_b", c.support_b},
                      {"f1_a", c.in_a ? nlohmann::json(c.f1_a) : nlohmann::json()},
                      {"f1_b", c.in_b ? nlohmann::json(c.f1_b) : nlohmann::json()},
                      {"delta", c.delta()}});
    auto conf = [](const std::vector<Confusion>& v) {
        auto arr = nlohmann::json::array();
        for (const auto& c : v)
            arr.push_back({{"truth", c.truth}, {"predicted", c.predicted}, {"count", c.count}});
        return arr;
    };
    return {{"a", a},
            {"b", b},
            {"basis", basis},
            {"documents_a", documents_a},
            {"documents_b", documents_b},
            {"metrics", ms},
            {"classes", cs},
            {"appeared", conf(appeared)},
            {"disappeared", conf(disappeared)},
            {"curve_a", curve_a},
            {"curve_b", curve_b}};
}

ModelComparison compare_metrics(int a, const Metrics& ma, int b, const Metrics& mb) {
    ModelComparison c;
    c.a = a;
    c.b = b;
    c.documents_a = ma.documents;
    c.documents_b = mb.documents;
    std::size_t levels = std::max(ma.level_accuracy.size(), mb.level_accuracy.size());
    for (std::size_t l = 0; l < levels; ++l) {
        MetricDelta d;
        d.name = "level " + std::to_string(l + 1) + " accuracy";
        d.a = l < ma.level_accuracy.size() ? ma.level_accuracy[l] : 0;
        d.b = l < mb.level_accuracy.size() ? mb.level_accuracy[l] : 0;
        c.metrics.push_back(d);
    }
    c.metrics.push_back({"leaf accuracy", ma.leaf_accuracy, mb.leaf_accuracy});
    c.metrics.push_back({"micro F1", ma.micro_f1, mb.micro_f1});
    c.metrics.push_back({"macro F1", ma.macro_f1, mb.macro_f1});
    c.metrics.push_back({"hierarchical precision", ma.h_precision, mb.h_precision});
    c.metrics.push_back({"hierarchical recall", ma.h_recall, mb.h_recall});
    c.metrics.push_back({"hierarchical F1", ma.h_f1, mb.h_f1});

    std::map<std::string, ClassDelta> classes;
    for (const auto& pc : ma.per_class) {
        auto& d = classes[pc.label];
        d.label = pc.label;
        d.level = pc.level;
        d.support_a = pc.support;
        d.f1_a = pc.f1;
        d.in_a = true;
    }
    for (const auto& pc : mb.per_class) {
        auto& d = classes[pc.label];
        d.label = pc.label;
        d.level = pc.level;
        d.support_b = pc.support;
        d.f1_b = pc.f1;
        d.in_b = true;
    }
    for (auto& [label, d] : classes) c.classes.push_back(d);
    std::sort(c.classes.begin(), c.classes.end(), [](const ClassDelta& x, const ClassDelta& y) {
        int sx = std::max(x.support_a, x.support_b), sy = std::max(y.support_a, y.support_b);
        if (sx != sy) return sx > sy;
        return x.label < y.label;
    });

    auto key = [](const Confusion& x) { return x.truth + "\x1f" + x.predicted; };
    std::set<std::string> in_a, in_b;
    for (const auto& x : ma.confusions) in_a.insert(key(x));
    for (const auto& x : mb.confusions) in_b.insert(key(x));
    for (const auto& x : mb.confusions)
        if (!in_a.count(key(x))) c.appeared.push_back(x);
    for (const auto& x : ma.confusions)
        if (!in_b.count(key(x))) c.disappeared.push_back(x);
    return c;
}

ModelComparison compare_versions(const Registry& registry, int a, int b,
                                 const std::vector<std::string>& on_files,
                                 const IngestOptions& ingest) {
    auto ia = registry.info(a), ib = registry.info(b);
    if (!ia) throw std::runtime_error("no model version " + version_name(a));
    if (!ib) throw std::runtime_error("no model version " + version_name(b));
    ModelComparison c;
    if (on_files.empty()) {
        c = compare_metrics(a, Metrics::from_json(ia->metrics), b, Metrics::from_json(ib->metrics));
        c.basis = "each version's own validation split (" + std::to_string(c.documents_a) +
                  " and " + std::to_string(c.documents_b) + " documents)";
    } else {
        auto ea = evaluate_files(registry, on_files, ingest, a);
        auto eb = evaluate_files(registry, on_files, ingest, b);
        c = compare_metrics(a, ea.metrics, b, eb.metrics);
        c.basis = "the same " + std::to_string(eb.metrics.documents) +
                  " labelled documents of the given file(s)";
    }
    c.curve_a = ia->curve.is_array() ? ia->curve : nlohmann::json::array();
    c.curve_b = ib->curve.is_array() ? ib->curve : nlohmann::json::array();
    return c;
}

}  // namespace htc
