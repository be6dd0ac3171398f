// Label paths, the label tree and decoding a prediction down the tree.
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/taxonomy.h"
#include "test_support.h"

using htc::LabelPath;
using htc::parse_label_path;
using htc::Taxonomy;

namespace {

LabelPath path(std::vector<std::string> segments) { return LabelPath{std::move(segments)}; }

std::vector<std::string> segments_of(const std::string& s) {
    auto p = parse_label_path(s);
    return p ? p->segments : std::vector<std::string>{"<rejected>"};
}

std::string error_of(const std::string& s) {
    std::string error;
    const auto p = parse_label_path(s, &error);
    return p ? std::string("<accepted>") : error;
}

// Classes: 0 Science/Physics, 1 Science/Biology, 2 Arts, 3 Arts/Music, 4 Arts/Film.
// "Arts" is a class of its own and also has children.
Taxonomy sample_tree() {
    Taxonomy t;
    t.add(path({"Science", "Physics"}));
    t.add(path({"Science", "Biology"}));
    t.add(path({"Arts"}));
    t.add(path({"Arts", "Music"}));
    t.add(path({"Arts", "Film"}));
    return t;
}

}  // namespace

TEST_CASE("parse_label_path: separators, trimming, rejected empty segments", "[taxonomy]") {
    using V = std::vector<std::string>;
    CHECK(segments_of("A/B/C") == V{"A", "B", "C"});
    CHECK(segments_of("A > B > C") == V{"A", "B", "C"});
    CHECK(segments_of("A>B") == V{"A", "B"});
    CHECK(segments_of("Solo") == V{"Solo"});
    // '/' wins when both appear: the '>' is then part of a segment.
    CHECK(segments_of("A > B/C") == V{"A > B", "C"});
    // Unicode spaces trim; inner space runs become one space; case is kept.
    CHECK(segments_of("\xC2\xA0 Computer\xC2\xA0\xC2\xA0Science \t/ AI\xE2\x80\x83") ==
          V{"Computer Science", "AI"});
    CHECK(segments_of("\xEF\xBB\xBFScience/Physics") == V{"Science", "Physics"});
    // NFC: precomposed and decomposed spellings are one class.
    CHECK(segments_of("Cafe\xCC\x81") == V{"Caf\xC3\xA9"});
    CHECK(error_of("A//B") == "empty segment in label path 'A//B'");
    CHECK(error_of("Science/") == "empty segment in label path 'Science/'");
    CHECK(error_of("/A") == "empty segment in label path '/A'");
    CHECK(error_of("A > > B") == "empty segment in label path 'A > > B'");
    CHECK(error_of("A/ \xC2\xA0 /B") == "empty segment in label path 'A/ \xC2\xA0 /B'");
    CHECK(error_of("   ") == "empty label path '   '");
    CHECK(error_of("A//\nB") == "empty segment in label path 'A// B'");  // stays one line
    CHECK_FALSE(parse_label_path("A//B").has_value());                   // no error pointer is fine
    CHECK(path({"A", "B c"}).str() == "A/B c");
}

TEST_CASE("parse_label_path: the C20 labels", "[taxonomy][cases]") {
    HTC_REQUIRE_SHARED(file, "cases/C20_labels.csv");
    std::ifstream in(file, std::ios::binary);
    std::vector<std::string> labels;
    std::string line;
    std::getline(in, line);  // header "text,label"
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        labels.push_back(line.substr(line.find(',') + 1));  // no text in this file has a comma
    }
    REQUIRE(labels.size() == 4);
    using V = std::vector<std::string>;
    CHECK(segments_of(labels[0]) == V{"Computer Science", "AI"});
    CHECK(parse_label_path(labels[0])->str() == "Computer Science/AI");
    CHECK(segments_of(labels[1]) == V{"Science", "Physics", "Optics"});
    CHECK(error_of(labels[2]) == "empty segment in label path 'Science//Optics'");
    CHECK(error_of(labels[3]) == "empty segment in label path 'Science/'");
}

TEST_CASE("Taxonomy: classes, nodes, levels", "[taxonomy]") {
    Taxonomy t = sample_tree();
    CHECK(t.num_classes() == 5);
    CHECK(t.num_nodes() == 1 + 2 + 2 + 2);  // root, Science, Arts, 4 leaves
    CHECK(t.max_depth() == 2);
    CHECK(t.nodes_per_level() == std::vector<int>{2, 4});
    CHECK(t.add(path({"Arts", "Music"})) == 3);  // existing class keeps its id
    CHECK(t.num_classes() == 5);
    CHECK(t.find_class(path({"Science", "Biology"})) == 1);
    CHECK(t.find_class(path({"Science"})) == -1);  // a node, not a class
    CHECK(t.find_node(path({"Science"})) >= 1);
    CHECK(t.find_node(path({"Science", "Chemistry"})) == -1);
    CHECK(t.find_class(path({"Arts"})) == 2);
    CHECK(t.path_of_class(4).str() == "Arts/Film");
    const int arts = t.find_node(path({"Arts"}));
    CHECK(t.node(arts).children.size() == 2);
    CHECK(t.node(arts).depth == 1);
    CHECK(t.node(t.node_of_class(3)).parent == arts);
    CHECK(t.path_of_node(0).empty());
    CHECK_THROWS_AS(t.add(LabelPath{}), std::invalid_argument);
}

TEST_CASE("Taxonomy: JSON round trip keeps node and class ids", "[taxonomy]") {
    Taxonomy t = sample_tree();
    t.add(path({"Science", "Physics", "Optics"}));
    t.add(path({"\xD0\x9D\xD0\xB0\xD1\x83\xD0\xBA\xD0\xB0", "\xE7\x89\xA9\xE7\x90\x86"}));
    nlohmann::json j;
    t.to_json(j);
    const Taxonomy back = Taxonomy::from_json(nlohmann::json::parse(j.dump()));
    REQUIRE(back.num_classes() == t.num_classes());
    REQUIRE(back.num_nodes() == t.num_nodes());
    for (int c = 0; c < t.num_classes(); ++c) {
        CHECK(back.path_of_class(c) == t.path_of_class(c));
        CHECK(back.node_of_class(c) == t.node_of_class(c));
    }
    for (int n = 0; n < t.num_nodes(); ++n) {
        CHECK(back.node(n).parent == t.node(n).parent);
        CHECK(back.node(n).children == t.node(n).children);
    }
    CHECK_THROWS_WITH(Taxonomy::from_json(nlohmann::json::parse(R"({"classes":[["A"],["A"]]})")),
                      "taxonomy: class 1 repeats the path 'A'");
    CHECK_THROWS_WITH(Taxonomy::from_json(nlohmann::json::parse(R"({"classes":[["A",""]]})")),
                      "taxonomy: class 0 has an empty or non-string segment");
    CHECK_THROWS(Taxonomy::from_json(nlohmann::json::array()));
}

TEST_CASE("decode_path: masses, competing parent class, min_confidence", "[taxonomy]") {
    const Taxonomy t = sample_tree();
    // Probabilities per class: Physics .30, Biology .15, Arts .20, Music .25, Film .10.
    // Masses: Science = .30 + .15 = .45; Arts = .20 + .25 + .10 = .55; root = 1.
    const std::vector<float> p = {0.30f, 0.15f, 0.20f, 0.25f, 0.10f};
    const auto mass = htc::node_masses(t, p);
    CHECK(mass[0] == Approx(1.0));
    CHECK(mass[t.find_node(path({"Science"}))] == Approx(0.45));
    CHECK(mass[t.find_node(path({"Arts"}))] == Approx(0.55));
    CHECK(mass[t.node_of_class(3)] == Approx(0.25));

    // Level 1: Arts (.55 > .45). Arts' own .20 is below Music's .25, so go on to Music.
    auto d = htc::decode_path(t, p);
    CHECK(d.path.str() == "Arts/Music");
    REQUIRE(d.confidence.size() == 2);
    CHECK(d.confidence[0] == Approx(0.55));
    CHECK(d.confidence[1] == Approx(0.25));

    // Music's .25 is below .30: stop at Arts.
    d = htc::decode_path(t, p, 0.30);
    CHECK(d.path.str() == "Arts");
    REQUIRE(d.confidence.size() == 1);
    CHECK(d.confidence[0] == Approx(0.55));
    // .25 clears .25 exactly.
    CHECK(htc::decode_path(t, p, 0.25).path.str() == "Arts/Music");
    // Even when level 1 is below the threshold, level 1 is returned.
    d = htc::decode_path(t, p, 0.9);
    CHECK(d.path.str() == "Arts");
    CHECK(d.confidence.size() == 1);

    // Arts' own .35 beats Music .12 and Film .08: the document is "Arts" itself.
    // Arts mass = .35 + .12 + .08 = .55 > Science .45.
    d = htc::decode_path(t, {0.30f, 0.15f, 0.35f, 0.12f, 0.08f});
    CHECK(d.path.str() == "Arts");
    CHECK(d.confidence[0] == Approx(0.55));

    // Science = .80 > Arts .20; Physics .50 > Biology .30.
    d = htc::decode_path(t, {0.5f, 0.3f, 0.1f, 0.05f, 0.05f});
    CHECK(d.path.str() == "Science/Physics");
    CHECK(d.confidence[0] == Approx(0.8));
    CHECK(d.confidence[1] == Approx(0.5));
}

TEST_CASE("decode_path: confidences stay in [0,1] and never increase", "[taxonomy]") {
    const Taxonomy t = sample_tree();
    // Sums a little above 1 (float rounding in a softmax) are clamped, NaN carries no mass.
    auto d = htc::decode_path(t, {1.0000002f, 0.0f, 0.0f, 0.0f, 0.0f});
    CHECK(d.path.str() == "Science/Physics");
    CHECK(d.confidence[0] == 1.0);
    CHECK(d.confidence[1] == 1.0);
    d = htc::decode_path(t, {std::nanf(""), 0.1f, 0.2f, 0.6f, 0.1f});
    CHECK(d.path.str() == "Arts/Music");
    for (double c : d.confidence) {
        CHECK(c >= 0.0);
        CHECK(c <= 1.0);
    }
    CHECK(d.confidence[0] >= d.confidence[1]);
    CHECK_THROWS_AS(htc::decode_path(t, {0.5f, 0.5f}), std::invalid_argument);
    CHECK(htc::decode_path(Taxonomy{}, {}).path.empty());
}
