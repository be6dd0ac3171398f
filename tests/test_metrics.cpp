// Hierarchical evaluation and the deterministic stratified split.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "model/metrics.h"
#include "test_support.h"

using htc::LabelPath;

namespace {

LabelPath lp(const std::string& s) { return *htc::parse_label_path(s); }

}  // namespace

TEST_CASE("evaluate: a small two-level example computed by hand", "[metrics]") {
    //      truth    predicted   label sets (truth | predicted)
    // d1   A/a1     A/a1        {A, A/a1}  | {A, A/a1}   exact
    // d2   A/a2     A/a1        {A, A/a2}  | {A, A/a1}   right parent, wrong leaf
    // d3   B/b1     B/b1        {B, B/b1}  | {B, B/b1}   exact
    // d4   B/b1     A/a2        {B, B/b1}  | {A, A/a2}   wrong from level 1
    // d5   A/a1     A           {A, A/a1}  | {A}         stopped at level 1
    const std::vector<LabelPath> truth = {lp("A/a1"), lp("A/a2"), lp("B/b1"), lp("B/b1"),
                                          lp("A/a1")};
    const std::vector<LabelPath> pred = {lp("A/a1"), lp("A/a1"), lp("B/b1"), lp("A/a2"), lp("A")};
    const htc::Metrics m = htc::evaluate(truth, pred);
    CHECK(m.documents == 5);
    // Level 1: d1 d2 d3 d5 right = 4/5. Level 2: d1 d3 right = 2/5. Leaf: d1 d3 = 2/5.
    REQUIRE(m.level_accuracy.size() == 2);
    CHECK(m.level_accuracy[0] == Approx(0.8));
    CHECK(m.level_accuracy[1] == Approx(0.4));
    CHECK(m.leaf_accuracy == Approx(0.4));
    // Per label (TP/FP/FN):
    //   A     TP d1 d2 d5 = 3, FP d4 = 1, FN 0  -> P 3/4, R 1,   F1 6/7
    //   A/a1  TP d1 = 1, FP d2 = 1, FN d5 = 1   -> P 1/2, R 1/2, F1 1/2
    //   A/a2  TP 0, FP d4 = 1, FN d2 = 1        -> P 0,   R 0,   F1 0
    //   B     TP d3 = 1, FP 0, FN d4 = 1        -> P 1,   R 1/2, F1 2/3
    //   B/b1  TP d3 = 1, FP 0, FN d4 = 1        -> P 1,   R 1/2, F1 2/3
    // Sums: TP 6, FP 3, FN 4 -> micro-F1 = 2*6 / (2*6 + 3 + 4) = 12/19.
    CHECK(m.micro_f1 == Approx(12.0 / 19.0));
    // Macro-F1 = (6/7 + 1/2 + 0 + 2/3 + 2/3) / 5.
    CHECK(m.macro_f1 == Approx((6.0 / 7 + 0.5 + 0 + 2.0 / 3 + 2.0 / 3) / 5));
    // Kiritchenko: sum|P^ & T^| = 2+1+2+0+1 = 6, sum|P^| = 2+2+2+2+1 = 9, sum|T^| = 10.
    CHECK(m.h_precision == Approx(6.0 / 9));
    CHECK(m.h_recall == Approx(6.0 / 10));
    CHECK(m.h_f1 == Approx(2 * (6.0 / 9) * 0.6 / (6.0 / 9 + 0.6)));
    CHECK(m.h_f1 == Approx(m.micro_f1));  // the same sums, see metrics.cpp

    REQUIRE(m.per_class.size() == 5);
    const auto& a = m.per_class[0];
    CHECK(a.label == "A");
    CHECK(a.level == 1);
    CHECK(a.support == 3);
    CHECK(a.precision == Approx(0.75));
    CHECK(a.recall == Approx(1.0));
    CHECK(a.f1 == Approx(6.0 / 7));
    CHECK(m.per_class[1].label == "A/a1");
    CHECK(m.per_class[1].level == 2);
    CHECK(m.per_class[1].support == 2);
    CHECK(m.per_class[1].f1 == Approx(0.5));
    CHECK(m.per_class[2].label == "A/a2");
    CHECK(m.per_class[2].support == 1);
    CHECK(m.per_class[2].precision == 0.0);
    CHECK(m.per_class[2].f1 == 0.0);
    CHECK(m.per_class[3].label == "B");
    CHECK(m.per_class[3].precision == Approx(1.0));
    CHECK(m.per_class[3].recall == Approx(0.5));
    CHECK(m.per_class[4].label == "B/b1");
    CHECK(m.per_class[4].f1 == Approx(2.0 / 3));

    // Three confusions, one each: sorted by truth, then prediction.
    REQUIRE(m.confusions.size() == 3);
    CHECK(m.confusions[0].truth == "A/a1");
    CHECK(m.confusions[0].predicted == "A");
    CHECK(m.confusions[1].truth == "A/a2");
    CHECK(m.confusions[1].predicted == "A/a1");
    CHECK(m.confusions[2].truth == "B/b1");
    CHECK(m.confusions[2].predicted == "A/a2");
    CHECK(m.confusions[2].count == 1);
}

TEST_CASE("evaluate: confusions by count, at most 20, JSON round trip", "[metrics]") {
    std::vector<LabelPath> truth, pred;
    const auto add = [&](const std::string& t, const std::string& p, int times) {
        for (int i = 0; i < times; ++i) {
            truth.push_back(lp(t));
            pred.push_back(lp(p));
        }
    };
    add("X/y", "X/z", 3);
    add("C/c", "D/d", 5);
    for (int k = 0; k < 25; ++k) add("Q/q" + std::to_string(k), "R/r", 1);
    add("A/a", "A/a", 2);
    const htc::Metrics m = htc::evaluate(truth, pred);
    REQUIRE(m.confusions.size() == 20);
    CHECK(m.confusions[0].truth == "C/c");
    CHECK(m.confusions[0].count == 5);
    CHECK(m.confusions[1].truth == "X/y");
    CHECK(m.confusions[1].count == 3);
    CHECK(m.confusions[2].truth == "Q/q0");
    CHECK(m.confusions[3].truth == "Q/q1");
    CHECK(m.confusions[4].truth == "Q/q10");  // by name: "q10" sorts before "q2"
    CHECK(m.leaf_accuracy == Approx(2.0 / 35));

    const htc::Metrics back = htc::Metrics::from_json(nlohmann::json::parse(m.to_json().dump()));
    CHECK(back.documents == m.documents);
    CHECK(back.level_accuracy == m.level_accuracy);
    CHECK(back.leaf_accuracy == m.leaf_accuracy);
    CHECK(back.micro_f1 == m.micro_f1);
    CHECK(back.macro_f1 == m.macro_f1);
    CHECK(back.h_precision == m.h_precision);
    CHECK(back.h_recall == m.h_recall);
    CHECK(back.h_f1 == m.h_f1);
    REQUIRE(back.per_class.size() == m.per_class.size());
    for (std::size_t i = 0; i < m.per_class.size(); ++i) {
        CHECK(back.per_class[i].label == m.per_class[i].label);
        CHECK(back.per_class[i].level == m.per_class[i].level);
        CHECK(back.per_class[i].support == m.per_class[i].support);
        CHECK(back.per_class[i].f1 == m.per_class[i].f1);
    }
    REQUIRE(back.confusions.size() == 20);
    CHECK(back.confusions[1].predicted == "X/z");
    CHECK(back.confusions[1].count == 3);
    // Older records without some fields still load.
    CHECK(htc::Metrics::from_json(nlohmann::json{{"documents", 7}}).documents == 7);
    CHECK_THROWS(htc::Metrics::from_json(nlohmann::json::array()));
    CHECK_THROWS_AS(htc::evaluate({lp("A")}, {}), std::invalid_argument);
}

TEST_CASE("stable_hash is FNV-1a 64", "[metrics]") {
    // Published FNV-1a 64 test vectors: the split must be the same on every machine.
    CHECK(htc::stable_hash("") == 0xcbf29ce484222325ULL);
    CHECK(htc::stable_hash("a") == 0xaf63dc4c8601ec8cULL);
    CHECK(htc::stable_hash("foobar") == 0x85944171f73967e8ULL);
}

TEST_CASE("stratified_split: per-class counts, singletons, determinism", "[metrics]") {
    std::vector<std::string> texts;
    std::vector<int> labels;
    const auto add = [&](int label, int count) {
        for (int i = 0; i < count; ++i) {
            texts.push_back("doc " + std::to_string(label) + "-" + std::to_string(i));
            labels.push_back(label);
        }
    };
    add(0, 10);  // round(0.2 * 10) = 2 to validation
    add(1, 5);   // round(0.2 * 5)  = 1
    add(2, 1);   // a singleton stays in training
    add(3, 2);   // round(0.4) = 0, but at least 1 when the class has 2 documents
    const htc::Split s = htc::stratified_split(texts, labels, 0.2);
    CHECK(s.train.size() + s.validation.size() == texts.size());
    std::vector<int> val_per_class(4, 0);
    for (int i : s.validation) ++val_per_class[labels[i]];
    CHECK(val_per_class == std::vector<int>{2, 1, 0, 1});
    CHECK(std::is_sorted(s.train.begin(), s.train.end()));
    CHECK(std::is_sorted(s.validation.begin(), s.validation.end()));
    std::set<int> all(s.train.begin(), s.train.end());
    all.insert(s.validation.begin(), s.validation.end());
    CHECK(all.size() == texts.size());

    // Validation takes the lowest hashes of each class.
    for (int c = 0; c < 4; ++c) {
        std::uint64_t max_val = 0, min_train = UINT64_MAX;
        for (int i : s.validation) {
            if (labels[i] == c) max_val = std::max(max_val, htc::stable_hash(texts[i]));
        }
        for (int i : s.train) {
            if (labels[i] == c) min_train = std::min(min_train, htc::stable_hash(texts[i]));
        }
        if (val_per_class[c] > 0) CHECK(max_val < min_train);
    }

    // Same input, same split; the order of other classes does not matter.
    const htc::Split again = htc::stratified_split(texts, labels, 0.2);
    CHECK(again.train == s.train);
    CHECK(again.validation == s.validation);

    // A large fraction still leaves one document of every class in training.
    const htc::Split most = htc::stratified_split(texts, labels, 0.95);
    std::vector<int> train_per_class(4, 0);
    for (int i : most.train) ++train_per_class[labels[i]];
    CHECK(train_per_class == std::vector<int>{1, 1, 1, 1});
    CHECK(htc::stratified_split(texts, labels, 0.0).validation.empty());
    CHECK_THROWS_AS(htc::stratified_split(texts, {1, 2}, 0.2), std::invalid_argument);
}

TEST_CASE("stratified_split: identical texts are ordered by index", "[metrics]") {
    const std::vector<std::string> texts(6, "same text");
    const std::vector<int> labels(6, 0);
    const htc::Split s = htc::stratified_split(texts, labels, 0.5);
    CHECK(s.validation == std::vector<int>{0, 1, 2});
    CHECK(s.train == std::vector<int>{3, 4, 5});
}
