// The retrain pipeline and the model registry, end to end in-process.
#include <filesystem>
#include <fstream>

#include "pipeline.h"
#include "test_support.h"

using namespace htc;
namespace fs = std::filesystem;

namespace {

RetrainOptions options_for(std::vector<std::string> paths, const std::string& engine = "linear") {
    RetrainOptions o;
    o.paths = std::move(paths);
    o.engine = engine;
    return o;
}

std::string sample_dir() { return (test::source_dir() / "assets" / "sample").string(); }

// Bytes of every file in a version folder, to prove a later failure did not touch it.
std::map<std::string, std::string> snapshot_dir(const std::string& dir) {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) {
        std::ifstream in(e.path(), std::ios::binary);
        out[e.path().filename().string()] =
            std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return out;
}

}  // namespace

TEST_CASE("retrain on the bundled sample registers and activates v1", "[pipeline]") {
    test::TempDir data;
    Registry reg(data.str());
    std::vector<Progress> seen;
    auto r = retrain(reg, options_for({sample_dir()}), [&](const Progress& p) { seen.push_back(p); });
    CHECK(r.version == 1);
    CHECK(r.promoted);
    CHECK(reg.active() == 1);
    CHECK(r.num_classes == 12);
    CHECK(r.corpus_examples == 300);
    CHECK(r.validation_examples == 60);  // 20% of 25 per class = 5, 12 classes
    CHECK(r.metrics.level_accuracy.size() == 3);
    CHECK(r.metrics.leaf_accuracy > 0.8);
    // Progress is monotonic, ends at 1 and passes through every stage in order.
    REQUIRE(!seen.empty());
    for (std::size_t i = 1; i < seen.size(); ++i) CHECK(seen[i].fraction >= seen[i - 1].fraction - 1e-9);
    CHECK(seen.back().fraction == Approx(1.0));
    std::vector<std::string> stages;
    for (const auto& p : seen)
        if (stages.empty() || stages.back() != p.stage) stages.push_back(p.stage);
    CHECK(stages == std::vector<std::string>{"parse", "sanitize", "train", "evaluate", "register"});

    auto info = reg.info(1);
    REQUIRE(info);
    CHECK(info->engine == "linear");
    CHECK(info->size_bytes > 0);
    CHECK(info->data["documents"] == 300);

    // Prediction: a valid path with one confidence per level, each in [0,1], non-increasing.
    auto model = reg.load_active();
    auto pred = model->predict("A convex lens focuses parallel light; a prism splits white light.");
    CHECK(pred.path.path.str() == "Science/Physics/Optics");
    REQUIRE(pred.path.confidence.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(pred.path.confidence[i] <= 1.0);
        CHECK(pred.path.confidence[i] > 0.0);
        if (i) CHECK(pred.path.confidence[i] <= pred.path.confidence[i - 1] + 1e-9);
    }
    REQUIRE(pred.top.size() == 3);
    CHECK(pred.top[0].first.str() == "Science/Physics/Optics");
}

TEST_CASE("a second retrain extends the corpus, compares with the active model and rolls back",
          "[pipeline]") {
    test::TempDir data;
    Registry reg(data.str());
    auto first = retrain(reg, options_for({(fs::path(sample_dir()) / "feedback.csv").string()}));
    CHECK(first.corpus_examples == 240);
    auto second = retrain(reg, options_for({(fs::path(sample_dir()) / "more-feedback.jsonl").string()}));
    CHECK(second.version == 2);
    CHECK(second.previous_version == 1);
    CHECK(second.corpus_examples == 300);  // previous corpus + the new file
    CHECK(second.feedback_examples == 60);
    REQUIRE(second.previous_metrics.has_value());
    CHECK(second.previous_metrics->documents == second.metrics.documents);
    CHECK(second.promoted == (second.metrics.h_f1 + 0.005 >= second.previous_metrics->h_f1));
    reg.set_active(2, "test");
    CHECK(reg.previous_active() == 1);
    reg.set_active(1, "rollback");
    CHECK(reg.active() == 1);
    CHECK_THROWS(reg.remove(1));  // active
    reg.remove(2);
    CHECK(!reg.info(2).has_value());
}

TEST_CASE("a failed or cancelled training leaves the active model intact", "[pipeline]") {
    test::TempDir data;
    Registry reg(data.str());
    retrain(reg, options_for({sample_dir()}));
    REQUIRE(reg.active() == 1);
    auto before = snapshot_dir(reg.version_dir(1));
    auto active_before = snapshot_dir(reg.models_dir() + "/v0001");

    SECTION("one class only") {
        test::TempDir in;
        std::ofstream(in / "one.csv") << "text,label\nalpha beta,A/B\ngamma delta,A/B\n";
        auto o = options_for({(in / "one.csv").string()});
        o.extend_corpus = false;
        CHECK_THROWS_WITH(retrain(reg, o), Catch::Contains("fewer than 2 classes"));
    }
    SECTION("no labels") {
        test::TempDir in;
        std::ofstream(in / "none.csv") << "text\nalpha beta\ngamma delta\n";
        CHECK_THROWS_WITH(retrain(reg, options_for({(in / "none.csv").string()})),
                          Catch::Contains("no labelled documents"));
    }
    SECTION("cancelled during training") {
        std::atomic<bool> cancel{false};
        CHECK_THROWS_AS(retrain(reg, options_for({sample_dir()}),
                                [&](const Progress& p) {
                                    if (p.stage == "train") cancel = true;
                                },
                                &cancel),
                        Cancelled);
    }
    CHECK(reg.active() == 1);
    CHECK(reg.list().size() == 1);
    CHECK(snapshot_dir(reg.version_dir(1)) == before);
    CHECK(!fs::exists(reg.version_dir(2)));
}

TEST_CASE("the split is stratified and the same on every run", "[pipeline]") {
    test::TempDir a, b;
    Registry ra(a.str()), rb(b.str());
    auto r1 = retrain(ra, options_for({sample_dir()}));
    auto r2 = retrain(rb, options_for({sample_dir()}));
    CHECK(r1.metrics.to_json() == r2.metrics.to_json());
    CHECK(r1.validation_examples == r2.validation_examples);
}

TEST_CASE("DBpedia: the default engine reaches the reference accuracy", "[pipeline][data]") {
    HTC_REQUIRE_SHARED(path, "data/dbpedia/dbpedia-classes-2500.csv");
    test::TempDir data;
    Registry reg(data.str());
    RetrainOptions o;
    o.paths = {path};
    auto r = retrain(reg, o);
    INFO("level 1 " << r.metrics.level_accuracy[0] << ", leaf " << r.metrics.leaf_accuracy);
    CHECK(r.num_classes == 215);  // the 2,500-row file holds 215 of the 219 leaf classes
    CHECK(r.corpus_examples == 2500);
    REQUIRE(r.metrics.level_accuracy.size() == 3);
    CHECK(r.metrics.level_accuracy[0] >= 0.92);
    CHECK(r.metrics.leaf_accuracy >= 0.74);
    CHECK(r.model_bytes < 20u * 1024 * 1024);
}

TEST_CASE("WOS, BBC and PDF folders train models", "[pipeline][data]") {
    HTC_REQUIRE_SHARED(wos, "data/wos/wos-700.tsv");
    HTC_REQUIRE_SHARED(bbc, "data/bbc");
    HTC_REQUIRE_SHARED(pdf, "data/pdf");
    {
        test::TempDir data;
        Registry reg(data.str());
        auto r = retrain(reg, options_for({wos}));
        CHECK(r.corpus_examples == 700);
        CHECK(r.metrics.level_accuracy.size() == 2);
        CHECK(r.metrics.level_accuracy[0] > 0.5);
        auto model = reg.load_active();
        for (int c = 0; c < model->taxonomy.num_classes(); ++c)
            CHECK(model->taxonomy.path_of_class(c).segments.size() == 2);
    }
    {
        test::TempDir data;
        Registry reg(data.str());
        auto r = retrain(reg, options_for({bbc}));
        CHECK(r.corpus_examples == 198);  // two articles appear twice in the set
        CHECK(r.sanitize.duplicates == 2);
        CHECK(r.num_classes == 5);
        CHECK(r.metrics.level_accuracy[0] > 0.85);
    }
    {
        test::TempDir data;
        Registry reg(data.str());
        auto r = retrain(reg, options_for({pdf}));
        CHECK(r.corpus_examples == 10);
        CHECK(r.num_classes == 3);
        auto model = reg.load_active();
        CHECK(model->taxonomy.path_of_class(0).segments[0] == "humanities");
    }
}

TEST_CASE("promotion needs a comparison: empty validation or fewer classes stay inactive",
          "[pipeline]") {
    test::TempDir data;
    Registry reg(data.str());
    auto first = retrain(reg, options_for({sample_dir()}));
    REQUIRE(reg.active() == 1);
    REQUIRE(first.num_classes == 12);

    SECTION("no validation documents") {
        auto o = options_for({sample_dir()});
        o.validation_fraction = 0.0;
        auto r = retrain(reg, o);
        CHECK(r.validation_examples == 0);
        CHECK_FALSE(r.promoted);
        CHECK_THAT(r.promotion_reason, Catch::StartsWith("not promoted: the validation split is empty"));
        CHECK(reg.active() == 1);
        o.promote = PromotePolicy::Always;
        auto forced = retrain(reg, o);
        CHECK(forced.promoted);
        CHECK(reg.active() == forced.version);
    }
    SECTION("a fresh corpus with fewer classes") {
        test::TempDir in;
        std::ofstream out(in / "two.csv");
        out << "text,label\n";
        for (int i = 0; i < 10; ++i)
            out << "the telescope observed comet number " << i << " near the planet,Science/Astronomy\n"
                << "the violinist played sonata number " << i << " with the quartet,Arts/Music\n";
        out.close();
        auto o = options_for({(in / "two.csv").string()});
        o.extend_corpus = false;
        auto r = retrain(reg, o);
        CHECK(r.num_classes == 2);
        CHECK_FALSE(r.promoted);
        CHECK_THAT(r.promotion_reason,
                   Catch::StartsWith("not promoted: the new model lacks 12 of the 12 classes of v1"));
        CHECK(reg.active() == 1);
    }
}

TEST_CASE("a retrain that finds nothing names each file and why", "[pipeline]") {
    test::TempDir data, in;
    Registry reg(data.str());
    std::ofstream(in / "blank.txt") << "\n\n   \n";
    std::ofstream(in / "nolabel.csv") << "text\nalpha beta\n";
    fs::create_directories(in / "empty-folder");
    try {
        retrain(reg, options_for({(in / "blank.txt").string(), (in / "nolabel.csv").string()}));
        FAIL("retrain should refuse files without labelled records");
    } catch (const std::runtime_error& e) {
        const std::string msg = e.what();
        CHECK_THAT(msg, Catch::StartsWith("no labelled documents"));
        CHECK_THAT(msg, Catch::Contains((in / "blank.txt").string() + ":"));
        CHECK_THAT(msg, Catch::Contains((in / "nolabel.csv").string() + ": "));
    }
    CHECK_FALSE(reg.active().has_value());
}
