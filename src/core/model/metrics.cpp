#include "model/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace htc {

namespace {

// Every node on a path as a prefix: A/B/C -> {A, A/B, A/B/C}.
std::vector<LabelPath> prefixes(const LabelPath& p) {
    std::vector<LabelPath> out;
    out.reserve(p.segments.size());
    LabelPath cur;
    for (const auto& seg : p.segments) {
        cur.segments.push_back(seg);
        out.push_back(cur);
    }
    return out;
}

bool same_prefix(const LabelPath& a, const LabelPath& b, std::size_t len) {
    return a.segments.size() >= len && b.segments.size() >= len &&
           std::equal(a.segments.begin(), a.segments.begin() + static_cast<std::ptrdiff_t>(len),
                      b.segments.begin());
}

double ratio(double num, double den) { return den > 0 ? num / den : 0.0; }
double f1_of(double tp, double fp, double fn) { return ratio(2 * tp, 2 * tp + fp + fn); }

// Reads a number that an older version (or a NaN written as null) may have left out.
double number_or(const nlohmann::json& j, const char* key, double fallback = 0.0) {
    auto it = j.find(key);
    return (it != j.end() && it->is_number()) ? it->get<double>() : fallback;
}
int int_or(const nlohmann::json& j, const char* key, int fallback = 0) {
    auto it = j.find(key);
    return (it != j.end() && it->is_number()) ? it->get<int>() : fallback;
}
std::string string_or(const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    return (it != j.end() && it->is_string()) ? it->get<std::string>() : std::string();
}

}  // namespace

Metrics evaluate(const std::vector<LabelPath>& truth, const std::vector<LabelPath>& predicted) {
    if (truth.size() != predicted.size()) {
        throw std::invalid_argument("evaluate: " + std::to_string(truth.size()) +
                                    " true labels but " + std::to_string(predicted.size()) +
                                    " predictions");
    }
    Metrics m;
    m.documents = static_cast<int>(truth.size());

    std::size_t depth = 0;
    for (const auto& t : truth) depth = std::max(depth, t.segments.size());
    std::vector<int> level_total(depth, 0), level_correct(depth, 0);

    struct Counts {
        int tp = 0, fp = 0, fn = 0;
    };
    std::map<LabelPath, Counts> per_label;  // tree order: a parent right before its children
    std::map<std::pair<std::string, std::string>, int> confusion;
    int exact = 0;

    for (std::size_t d = 0; d < truth.size(); ++d) {
        const LabelPath& t = truth[d];
        const LabelPath& p = predicted[d];
        for (std::size_t l = 1; l <= t.segments.size(); ++l) {
            ++level_total[l - 1];
            if (same_prefix(t, p, l)) ++level_correct[l - 1];
        }
        if (t == p) {
            ++exact;
        } else {
            ++confusion[{t.str(), p.str()}];
        }
        // Label sets are the nodes on each path; both are prefix-closed, so a node is shared
        // exactly up to the length of the common prefix.
        std::size_t common = 0;
        while (common < t.segments.size() && common < p.segments.size() &&
               t.segments[common] == p.segments[common]) {
            ++common;
        }
        const auto tp_nodes = prefixes(t);
        const auto pp_nodes = prefixes(p);
        for (std::size_t l = 0; l < tp_nodes.size(); ++l) {
            auto& c = per_label[tp_nodes[l]];
            if (l < common) {
                ++c.tp;
            } else {
                ++c.fn;
            }
        }
        for (std::size_t l = common; l < pp_nodes.size(); ++l) ++per_label[pp_nodes[l]].fp;
    }

    for (std::size_t l = 0; l < depth; ++l) {
        m.level_accuracy.push_back(ratio(level_correct[l], level_total[l]));
    }
    m.leaf_accuracy = ratio(exact, m.documents);

    double tp = 0, fp = 0, fn = 0, macro = 0;
    for (const auto& [label, c] : per_label) {
        tp += c.tp, fp += c.fp, fn += c.fn;
        ClassMetrics cm;
        cm.label = label.str();
        cm.level = static_cast<int>(label.segments.size());
        cm.support = c.tp + c.fn;
        cm.precision = ratio(c.tp, c.tp + c.fp);
        cm.recall = ratio(c.tp, c.tp + c.fn);
        cm.f1 = f1_of(c.tp, c.fp, c.fn);
        macro += cm.f1;
        m.per_class.push_back(std::move(cm));
    }
    m.micro_f1 = f1_of(tp, fp, fn);
    m.macro_f1 = per_label.empty() ? 0.0 : macro / static_cast<double>(per_label.size());
    // Kiritchenko's hP = sum|P^ & T^| / sum|P^| and hR = sum|P^ & T^| / sum|T^| over the
    // ancestor-augmented sets. With label sets that are whole root paths these sums are exactly
    // the micro TP, TP+FP and TP+FN above, so h_f1 equals micro_f1 by construction; both are
    // reported because the literature quotes both names.
    m.h_precision = ratio(tp, tp + fp);
    m.h_recall = ratio(tp, tp + fn);
    m.h_f1 = ratio(2 * m.h_precision * m.h_recall, m.h_precision + m.h_recall);

    for (const auto& [pair, count] : confusion) {
        m.confusions.push_back(Confusion{pair.first, pair.second, count});
    }
    // The map already orders by (truth, predicted); a stable sort by count keeps that as the
    // tie-break.
    std::stable_sort(m.confusions.begin(), m.confusions.end(),
                     [](const Confusion& a, const Confusion& b) { return a.count > b.count; });
    if (m.confusions.size() > 20) m.confusions.resize(20);
    return m;
}

nlohmann::json Metrics::to_json() const {
    nlohmann::json classes = nlohmann::json::array();
    for (const auto& c : per_class) {
        classes.push_back({{"label", c.label},
                           {"level", c.level},
                           {"support", c.support},
                           {"precision", c.precision},
                           {"recall", c.recall},
                           {"f1", c.f1}});
    }
    nlohmann::json conf = nlohmann::json::array();
    for (const auto& c : confusions) {
        conf.push_back({{"truth", c.truth}, {"predicted", c.predicted}, {"count", c.count}});
    }
    return nlohmann::json{{"documents", documents},         {"level_accuracy", level_accuracy},
                          {"leaf_accuracy", leaf_accuracy}, {"micro_f1", micro_f1},
                          {"macro_f1", macro_f1},           {"h_precision", h_precision},
                          {"h_recall", h_recall},           {"h_f1", h_f1},
                          {"per_class", classes},           {"confusions", conf}};
}

Metrics Metrics::from_json(const nlohmann::json& j) {
    if (!j.is_object()) throw std::runtime_error("metrics: expected a JSON object");
    Metrics m;
    m.documents = int_or(j, "documents");
    if (auto it = j.find("level_accuracy"); it != j.end() && it->is_array()) {
        for (const auto& v : *it) m.level_accuracy.push_back(v.is_number() ? v.get<double>() : 0.0);
    }
    m.leaf_accuracy = number_or(j, "leaf_accuracy");
    m.micro_f1 = number_or(j, "micro_f1");
    m.macro_f1 = number_or(j, "macro_f1");
    m.h_precision = number_or(j, "h_precision");
    m.h_recall = number_or(j, "h_recall");
    m.h_f1 = number_or(j, "h_f1");
    if (auto it = j.find("per_class"); it != j.end() && it->is_array()) {
        for (const auto& c : *it) {
            if (!c.is_object()) continue;
            m.per_class.push_back(ClassMetrics{string_or(c, "label"), int_or(c, "level"),
                                               int_or(c, "support"), number_or(c, "precision"),
                                               number_or(c, "recall"), number_or(c, "f1")});
        }
    }
    if (auto it = j.find("confusions"); it != j.end() && it->is_array()) {
        for (const auto& c : *it) {
            if (!c.is_object()) continue;
            m.confusions.push_back(
                Confusion{string_or(c, "truth"), string_or(c, "predicted"), int_or(c, "count")});
        }
    }
    return m;
}

std::uint64_t stable_hash(std::string_view s) {
    std::uint64_t h = 14695981039346656037ULL;  // FNV-1a 64 offset basis
    for (const char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ULL;  // FNV-1a 64 prime
    }
    return h;
}

// Classes with a single document stay in training (the class would otherwise be unknown to
// the model), and at least one document of every class stays in training even when
// fraction * n rounds to n.
Split stratified_split(const std::vector<std::string>& texts, const std::vector<int>& labels,
                       double fraction) {
    if (texts.size() != labels.size()) {
        throw std::invalid_argument("stratified_split: " + std::to_string(texts.size()) +
                                    " texts but " + std::to_string(labels.size()) + " labels");
    }
    if (!(fraction > 0)) fraction = 0;  // also NaN
    fraction = std::min(fraction, 1.0);
    std::map<int, std::vector<int>> by_class;
    for (std::size_t i = 0; i < labels.size(); ++i)
        by_class[labels[i]].push_back(static_cast<int>(i));

    std::vector<std::uint64_t> hash(texts.size());
    for (std::size_t i = 0; i < texts.size(); ++i) hash[i] = stable_hash(texts[i]);

    Split split;
    std::vector<char> in_validation(texts.size(), 0);
    for (auto& [label, idx] : by_class) {
        const auto n = static_cast<long>(idx.size());
        if (n < 2 || fraction == 0) continue;
        long k = std::lround(fraction * static_cast<double>(n));
        k = std::clamp(k, 1L, n - 1);
        std::sort(idx.begin(), idx.end(),
                  [&](int a, int b) { return hash[a] != hash[b] ? hash[a] < hash[b] : a < b; });
        for (long r = 0; r < k; ++r) in_validation[static_cast<std::size_t>(idx[r])] = 1;
    }
    for (std::size_t i = 0; i < texts.size(); ++i) {
        (in_validation[i] ? split.validation : split.train).push_back(static_cast<int>(i));
    }
    return split;
}

}  // namespace htc
