// Classifier engines: TF-IDF features, the LIBLINEAR engine, the fastText engine, engine
// parameters and the automatic engine choice.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "model/engine.h"
#include "model/fasttext_engine.h"
#include "model/linear_engine.h"
#include "model/tfidf.h"
#include "test_support.h"

using namespace htc;
namespace fs = std::filesystem;

namespace {

// Three topics with their own words plus words every topic uses.
struct Corpus {
    std::vector<std::string> texts;
    std::vector<int> labels;
};

const std::vector<std::vector<std::string>> kTopicWords = {
    {"goal", "striker", "league", "match", "referee", "penalty", "stadium", "keeper"},
    {"flour", "oven", "recipe", "butter", "simmer", "sauce", "garlic", "bake"},
    {"orbit", "rocket", "planet", "comet", "galaxy", "telescope", "launch", "astronaut"}};
const std::vector<std::string> kCommonWords = {"the", "today", "new", "great", "report", "people"};

std::string make_document(int topic, std::mt19937& rng) {
    const auto& words = kTopicWords[topic];
    std::string text;
    for (int i = 0; i < 9; ++i) {
        const auto& pool = (i % 3 == 2) ? kCommonWords : words;
        if (!text.empty()) text += ' ';
        text += pool[rng() % pool.size()];
    }
    return text;
}

Corpus make_corpus(int docs_per_topic, unsigned seed) {
    std::mt19937 rng(seed);
    Corpus c;
    for (int i = 0; i < docs_per_topic; ++i)
        for (int t = 0; t < 3; ++t) {
            c.texts.push_back(make_document(t, rng));
            c.labels.push_back(t);
        }
    return c;
}

int argmax(const std::vector<float>& v) {
    return static_cast<int>(std::max_element(v.begin(), v.end()) - v.begin());
}

// Fraction of freshly generated documents the engine classifies right.
double synthetic_accuracy(const Engine& engine, unsigned seed) {
    std::mt19937 rng(seed);
    int right = 0, total = 0;
    for (int i = 0; i < 20; ++i)
        for (int t = 0; t < 3; ++t) {
            right += argmax(engine.scores(make_document(t, rng))) == t;
            ++total;
        }
    return double(right) / total;
}

EngineParams single_thread() {
    EngineParams p;
    p.threads = 1;
    return p;
}

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_all(const fs::path& p, const std::string& s) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << s;
}

// Checks that loading `path` fails with a message naming the file.
void require_refused(Engine& engine, const fs::path& path) {
    try {
        engine.load(path.string());
        FAIL("a damaged model file was accepted: " << path);
    } catch (const std::runtime_error& e) {
        INFO(e.what());
        CHECK(std::string(e.what()).find(path.string()) != std::string::npos);
    }
}

// Every way of damaging a saved model that a crash or a bad copy produces.
void check_damage_is_refused(const std::string& engine_name, const std::string& good) {
    test::TempDir dir;
    auto engine = make_engine(engine_name);
    const fs::path p = dir / "model.bin";
    write_all(p, good.substr(0, good.size() / 2));  // cut in the middle
    require_refused(*engine, p);
    write_all(p, good.substr(0, good.size() - 1));  // last byte missing
    require_refused(*engine, p);
    std::string flipped = good;
    flipped[flipped.size() * 2 / 3] ^= 0x10;  // one bit changed inside the payload
    write_all(p, flipped);
    require_refused(*engine, p);
    write_all(p, good + "x");  // trailing garbage
    require_refused(*engine, p);
    write_all(p, "");  // empty file
    require_refused(*engine, p);
    write_all(p, "<html>not a model</html>");
    require_refused(*engine, p);
    CHECK_THROWS_AS(engine->load((dir / "missing.bin").string()), std::runtime_error);
}

}  // namespace

// ---------------------------------------------------------------- TF-IDF

TEST_CASE("tokenizer keeps words of two or more word characters", "[engines]") {
    // Same tokens as Python's re.findall(r"(?u)\b\w\w+\b", ...) on this text.
    auto tokens = tokenize_words("it's a\xE2\x80\x94test \xE2\x80\x9Cquoted\xE2\x80\x9D x1 "
                                 "\xC3\xA9_b na\xC3\xAFve \xE5\x8C\x97\xE4\xBA\xAC a1");
    std::vector<std::string> got(tokens.begin(), tokens.end());
    CHECK(got == std::vector<std::string>{"it", "test", "quoted", "x1", "\xC3\xA9_b",
                                          "na\xC3\xAFve", "\xE5\x8C\x97\xE4\xBA\xAC", "a1"});
    CHECK(tokenize_words("").empty());
    CHECK(tokenize_words("a b c . !").empty());
}

TEST_CASE("tf-idf values match the hand-computed sklearn formula", "[engines]") {
    // idf = ln((1 + 3) / (1 + df)) + 1; tf' = 1 + ln(tf); rows L2-normalised.
    const std::vector<std::string> docs = {"red apple", "red red car", "green car"};
    const double idf_df2 = std::log(4.0 / 3.0) + 1;  // 1.287682
    const double idf_df1 = std::log(4.0 / 2.0) + 1;  // 1.693147

    SECTION("words only") {
        TfidfVectorizer v;
        auto rows = v.fit_transform(docs, {1, 1});
        REQUIRE(v.num_features() == 4);
        CHECK(v.terms() == std::vector<std::string>{"apple", "car", "green", "red"});
        CHECK(v.idf()[v.feature_of("red")] == Approx(idf_df2));
        CHECK(v.idf()[v.feature_of("apple")] == Approx(idf_df1));
        // "red red car": red = (1 + ln 2) * 1.287682 = 2.180233, car = 1.287682,
        // norm 2.532102 -> 0.861037 and 0.508542 (sklearn gives the same).
        REQUIRE(rows[1].size() == 2);
        std::map<std::string, double> row;
        for (const auto& t : rows[1]) row[v.terms()[t.feature]] = t.value;
        CHECK(row["red"] == Approx(0.861037).epsilon(1e-5));
        CHECK(row["car"] == Approx(0.508542).epsilon(1e-5));
        // transform() of a training text gives its training row.
        auto again = v.transform("red red car");
        REQUIRE(again.size() == 2);
        CHECK(again[0].value == Approx(rows[1][0].value));
        // Unknown words add nothing; a text with no known word is an empty row.
        CHECK(v.transform("red unknownword").size() == 1);
        CHECK(v.transform("zebra").empty());
    }
    SECTION("words and bigrams") {
        TfidfVectorizer v;
        auto rows = v.fit_transform(docs, {2, 1});
        CHECK(v.num_features() == 8);
        REQUIRE(v.feature_of("red red") >= 0);
        std::map<std::string, double> row;
        for (const auto& t : rows[1]) row[v.terms()[t.feature]] = t.value;
        // norm^2 = 2.180233^2 + 1.287682^2 + 2 * 1.693147^2 = 12.145035
        CHECK(row["red"] == Approx(0.625610).epsilon(1e-5));
        CHECK(row["car"] == Approx(0.369495).epsilon(1e-5));
        CHECK(row["red red"] == Approx(0.485842).epsilon(1e-5));
        CHECK(row["red car"] == Approx(0.485842).epsilon(1e-5));
    }
    SECTION("min_df drops rare n-grams") {
        TfidfVectorizer v;
        v.fit_transform(docs, {2, 2});
        CHECK(v.terms() == std::vector<std::string>{"car", "red"});
    }
}

// ---------------------------------------------------------------- linear engine

TEST_CASE("linear engine learns a 3-class corpus and round-trips through a file", "[engines]") {
    auto corpus = make_corpus(15, 1);
    LinearEngine engine;
    engine.train(corpus.texts, corpus.labels, 3, single_thread(), {}, nullptr);
    CHECK(engine.num_classes() == 3);
    CHECK(synthetic_accuracy(engine, 99) == 1.0);
    auto info = engine.info();
    CHECK(info["features"].get<int>() > 20);
    CHECK(info["nonzeros"].get<int>() > 0);
    CHECK(info["nonzeros"].get<int>() <= info["nonzeros_before_pruning"].get<int>());
    // Decision values: the true class positive, the others negative.
    auto s = engine.scores("striker penalty stadium goal");
    REQUIRE(s.size() == 3);
    CHECK(s[0] > 0);
    CHECK(s[1] < 0);
    CHECK(s[2] < 0);

    test::TempDir dir;
    const auto path = (dir / "model.bin").string();
    engine.save(path);
    CHECK(fs::exists(path));
    CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
    LinearEngine loaded;
    loaded.load(path);
    CHECK(loaded.num_classes() == 3);
    std::mt19937 rng(5);
    for (int i = 0; i < 10; ++i) {
        auto text = make_document(i % 3, rng) + " never seen words";
        CHECK(loaded.scores(text) == engine.scores(text));  // bit-identical
    }
    check_damage_is_refused("linear", read_all(path));
}

TEST_CASE("linear engine scores classes without training documents low", "[engines]") {
    auto corpus = make_corpus(10, 2);
    LinearEngine engine;
    engine.train(corpus.texts, corpus.labels, 5, single_thread(), {}, nullptr);  // 3, 4 unused
    auto s = engine.scores("orbit rocket planet");
    REQUIRE(s.size() == 5);
    CHECK(argmax(s) == 2);
    CHECK(s[3] < -1);
    CHECK(s[4] < -1);
}

TEST_CASE("linear engine rejects bad input", "[engines]") {
    LinearEngine engine;
    EngineParams p;
    CHECK_THROWS_AS(engine.train({"a text"}, {0, 1}, 2, p, {}, nullptr), std::invalid_argument);
    CHECK_THROWS_AS(engine.train({"a text"}, {2}, 2, p, {}, nullptr), std::invalid_argument);
    CHECK_THROWS_AS(engine.train({}, {}, 2, p, {}, nullptr), std::invalid_argument);
    p.C = -1;
    CHECK_THROWS_AS(engine.train({"aa bb"}, {0}, 1, p, {}, nullptr), std::invalid_argument);
    test::TempDir dir;
    CHECK_THROWS_AS(engine.save((dir / "m.bin").string()), std::logic_error);
}

TEST_CASE("linear engine progress is monotonic and reaches 1", "[engines]") {
    auto corpus = make_corpus(10, 3);
    std::vector<double> fractions;
    LinearEngine engine;
    EngineParams p;  // default threads: the reports still come from the calling thread
    const auto caller = std::this_thread::get_id();
    bool same_thread = true;
    engine.train(corpus.texts, corpus.labels, 3, p,
                 [&](const Progress& pr) {
                     CHECK(pr.stage == "train");
                     same_thread = same_thread && std::this_thread::get_id() == caller;
                     fractions.push_back(pr.fraction);
                 },
                 nullptr);
    REQUIRE(!fractions.empty());
    CHECK(std::is_sorted(fractions.begin(), fractions.end()));
    CHECK(fractions.front() >= 0.0);
    CHECK(fractions.back() == 1.0);
    CHECK(same_thread);
}

TEST_CASE("linear engine stops with Cancelled", "[engines]") {
    auto corpus = make_corpus(10, 4);
    LinearEngine engine;
    std::atomic<bool> cancel{true};
    CHECK_THROWS_AS(engine.train(corpus.texts, corpus.labels, 3, {}, {}, &cancel), Cancelled);
    CHECK(engine.num_classes() == 0);  // nothing half-trained is kept

    // Set while training runs: from the first progress report on.
    cancel = false;
    int reports_after_cancel = 0;
    CHECK_THROWS_AS(engine.train(corpus.texts, corpus.labels, 3, {},
                                 [&](const Progress&) {
                                     if (cancel) ++reports_after_cancel;
                                     cancel = true;
                                 },
                                 &cancel),
                    Cancelled);
    CHECK(reports_after_cancel <= 1);
    CHECK(engine.num_classes() == 0);
}

// ---------------------------------------------------------------- fastText engine

TEST_CASE("fasttext engine learns a 3-class corpus, stays small and round-trips", "[engines]") {
    auto corpus = make_corpus(30, 6);
    FastTextEngine engine;
    std::vector<double> fractions;
    double last_metric = -1;
    engine.train(corpus.texts, corpus.labels, 4, single_thread(),  // class 3 has no document
                 [&](const Progress& pr) {
                     fractions.push_back(pr.fraction);
                     if (pr.metric >= 0) last_metric = pr.metric;
                 },
                 nullptr);
    CHECK(synthetic_accuracy(engine, 98) >= 0.95);
    CHECK(std::is_sorted(fractions.begin(), fractions.end()));
    CHECK(fractions.back() == 1.0);
    CHECK(last_metric >= 0);  // mean training loss
    CHECK(last_metric < 1.0);

    // Log-probabilities: the seen classes sum to ~1, the unseen one gets fastText's floor.
    auto s = engine.scores("flour oven butter");
    REQUIRE(s.size() == 4);
    CHECK(argmax(s) == 1);
    CHECK(std::exp(s[0]) + std::exp(s[1]) + std::exp(s[2]) == Approx(1.0).margin(0.01));
    CHECK(s[3] == Approx(std::log(1e-5)));
    for (float v : engine.scores("")) CHECK(std::isfinite(v));

    test::TempDir dir;
    const auto path = (dir / "model.bin").string();
    engine.save(path);
    CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
    CHECK(fs::file_size(path) < 3u * 1000 * 1000);  // not fastText's 2M-bucket default
    FastTextEngine loaded;
    loaded.load(path);
    CHECK(loaded.num_classes() == 4);
    std::mt19937 rng(7);
    for (int i = 0; i < 10; ++i) {
        auto text = make_document(i % 3, rng);
        CHECK(loaded.scores(text) == engine.scores(text));
    }
    check_damage_is_refused("fasttext", read_all(path));
    // A linear model is not a fastText model and vice versa.
    LinearEngine linear;
    require_refused(linear, path);
}

TEST_CASE("fasttext engine: no text can inject a label", "[engines]") {
    // Every class-0 document carries label markers; if fastText read them as labels it would
    // learn labels that are not class ids and the engine would refuse its own model.
    auto corpus = make_corpus(20, 8);
    for (std::size_t i = 0; i < corpus.texts.size(); ++i)
        if (corpus.labels[i] == 0) corpus.texts[i] += " __label__2 __label__x\n__label__1";
    FastTextEngine engine;
    engine.train(corpus.texts, corpus.labels, 3, single_thread(), {}, nullptr);
    CHECK(engine.info()["labels_seen"] == 3);
    CHECK(argmax(engine.scores("goal striker __label__2")) == 0);
}

TEST_CASE("fasttext engine reports a diverging run as a training error", "[engines]") {
    // The two documents of ../shared/cases/C18_nan_tiny.txt.
    EngineParams p = single_thread();
    p.lr = 1e6;
    FastTextEngine engine;
    try {
        engine.train({"lenses bend light", "mirrors reflect light"}, {0, 1}, 2, p, {}, nullptr);
        FAIL("training with lr=1e6 did not diverge");
    } catch (const Cancelled&) {
        FAIL("divergence reported as a cancellation");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()).find("training diverged (loss is NaN)") != std::string::npos);
    }
    CHECK(engine.num_classes() == 0);
    CHECK_THROWS_AS(engine.scores("lenses"), std::logic_error);
}

TEST_CASE("fasttext engine diverges on the C18 case file", "[engines][cases]") {
    HTC_REQUIRE_SHARED(path, "cases/C18_nan_tiny.txt");
    std::ifstream in(path);
    std::vector<std::string> texts;
    std::vector<int> labels;
    std::map<std::string, int> ids;
    std::string line;
    while (std::getline(in, line)) {
        auto space = line.find(' ');
        if (space == std::string::npos) continue;
        auto label = line.substr(0, space);
        labels.push_back(ids.emplace(label, int(ids.size())).first->second);
        texts.push_back(line.substr(space + 1));
    }
    REQUIRE(texts.size() == 2);
    EngineParams p = single_thread();
    p.lr = 1e6;
    FastTextEngine engine;
    CHECK_THROWS_WITH(engine.train(texts, labels, int(ids.size()), p, {}, nullptr),
                      Catch::Contains("diverged"));
}

TEST_CASE("fasttext engine stops with Cancelled", "[engines]") {
    auto corpus = make_corpus(30, 9);
    FastTextEngine engine;
    std::atomic<bool> cancel{true};
    CHECK_THROWS_AS(engine.train(corpus.texts, corpus.labels, 3, single_thread(), {}, &cancel),
                    Cancelled);

    // Set from the first report of real training progress: fastText must abort mid-run.
    cancel = false;
    EngineParams p;
    p.epochs = 100000;  // minutes of work unless abort() stops it
    const auto start = std::chrono::steady_clock::now();
    CHECK_THROWS_AS(engine.train(corpus.texts, corpus.labels, 3, p,
                                 [&](const Progress& pr) {
                                     if (pr.fraction > 0) cancel = true;
                                 },
                                 &cancel),
                    Cancelled);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
    CHECK(engine.num_classes() == 0);
}

TEST_CASE("fasttext buckets and dimension are sized to the data", "[engines]") {
    CHECK(FastTextEngine::bucket_for(0) == 10000);
    CHECK(FastTextEngine::bucket_for(123456) == 123456);
    CHECK(FastTextEngine::bucket_for(50000000) == 2000000);
    CHECK(FastTextEngine::dim_for(100) == 50);
}

// ---------------------------------------------------------------- parameters and choice

TEST_CASE("engine parameters round-trip through JSON and reject wrong types", "[engines]") {
    EngineParams p;
    p.C = 0.5;
    p.min_df = 3;
    p.epochs = 7;
    p.lr = 0.25;
    p.dim = 64;
    p.threads = 2;
    p.seed = 42;
    p.prune_threshold = 0.02;
    auto q = EngineParams::from_json(p.to_json());
    CHECK(q.C == 0.5);
    CHECK(q.min_df == 3);
    CHECK(q.epochs == 7);
    CHECK(q.lr == 0.25);
    CHECK(q.dim == 64);
    CHECK(q.threads == 2);
    CHECK(q.seed == 42);
    CHECK(q.prune_threshold == 0.02);
    // Missing keys keep their defaults.
    auto d = EngineParams::from_json(nlohmann::json::object({{"C", 3}}));
    CHECK(d.C == 3.0);
    CHECK(d.max_ngram == EngineParams().max_ngram);
    CHECK_THROWS_WITH(EngineParams::from_json({{"C", "high"}}), Catch::Contains("'C'"));
    CHECK_THROWS_WITH(EngineParams::from_json({{"epochs", 2.5}}), Catch::Contains("'epochs'"));
    CHECK_THROWS_AS(EngineParams::from_json(nlohmann::json::array()), std::invalid_argument);
}

TEST_CASE("make_engine and choose_engine", "[engines]") {
    CHECK(make_engine("linear")->name() == "linear");
    CHECK(make_engine("fasttext")->name() == "fasttext");
    CHECK_THROWS_WITH(make_engine("svm"), Catch::Contains("unknown engine 'svm'"));
    CHECK(choose_engine(2000, 215) == "linear");
    CHECK(choose_engine(20000, 215) == "linear");
}

// ---------------------------------------------------------------- real data

namespace {

// RFC 4180 rows (quoted fields with commas, doubled quotes and line breaks; CRLF).
std::vector<std::vector<std::string>> parse_csv(const std::string& s) {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (quoted) {
            if (c == '"' && i + 1 < s.size() && s[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            row.push_back(std::move(field));
            field.clear();
        } else if (c == '\n' || c == '\r') {
            if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
            row.push_back(std::move(field));
            field.clear();
            rows.push_back(std::move(row));
            row.clear();
        } else {
            field += c;
        }
    }
    if (!field.empty() || !row.empty()) {
        row.push_back(std::move(field));
        rows.push_back(std::move(row));
    }
    return rows;
}

}  // namespace

TEST_CASE("linear engine on DBpedia reaches the sklearn reference", "[engines][real-data]") {
    HTC_REQUIRE_SHARED(path, "data/dbpedia/dbpedia-classes-2500.csv");
    auto rows = parse_csv(read_all(path));
    REQUIRE(rows.size() == 2500);
    std::map<std::string, int> class_ids;
    std::vector<std::string> train_texts, test_texts;
    std::vector<int> train_labels, test_labels;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        REQUIRE(rows[i].size() == 4);
        std::string text = rows[i][0];
        for (auto& ch : text) {  // what the sanitizer would do to ASCII
            if (ch >= 'A' && ch <= 'Z') ch = char(ch - 'A' + 'a');
            if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
        }
        const std::string label = rows[i][1] + "/" + rows[i][2] + "/" + rows[i][3];
        int id = class_ids.emplace(label, int(class_ids.size())).first->second;
        // Fixed 80/20 split: every fifth document is held out.
        if (i % 5 == 4) {
            test_texts.push_back(text);
            test_labels.push_back(id);
        } else {
            train_texts.push_back(text);
            train_labels.push_back(id);
        }
    }
    LinearEngine engine;
    const auto start = std::chrono::steady_clock::now();
    engine.train(train_texts, train_labels, int(class_ids.size()), {}, {}, nullptr);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    int right = 0;
    for (std::size_t i = 0; i < test_texts.size(); ++i)
        right += argmax(engine.scores(test_texts[i])) == test_labels[i];
    const double leaf_accuracy = double(right) / test_texts.size();
    WARN("DBpedia linear: leaf accuracy " << leaf_accuracy << " on " << test_texts.size()
                                          << " documents, trained in " << seconds << " s, "
                                          << engine.info().dump());
    CHECK(leaf_accuracy >= 0.74);
}
