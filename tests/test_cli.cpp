// The htc-trainer binary as a user runs it: exit codes, output, the README's main job.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_support.h"

namespace fs = std::filesystem;

namespace {

struct RunResult {
    int code = -1;
    std::string out;  // stdout
    std::string err;  // stderr
};

RunResult run(const std::string& args) {
    htc::test::TempDir tmp;
    std::string errfile = (tmp / "stderr").string();
    std::string cmd = htc::test::binary() + " " + args + " 2>" + errfile;
    RunResult r;
    FILE* p = popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    std::array<char, 4096> buf{};
    std::size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
    int status = pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream in(errfile);
    r.err.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return r;
}

std::string q(const std::string& s) { return "'" + s + "'"; }
std::string assets(const std::string& rel) { return (htc::test::source_dir() / "assets" / rel).string(); }

}  // namespace

TEST_CASE("CLI: retrain, models, classify, evaluate, promote and rollback", "[cli]") {
    htc::test::TempDir data;
    std::string dd = " --data-dir " + q(data.str());

    auto r = run("retrain " + q(assets("sample/feedback.csv")) + dd + " --quiet");
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(r.out.find("Model v1 (linear)") != std::string::npos);
    CHECK(r.out.find("promoted: first model: v1 is now active") != std::string::npos);

    r = run("retrain " + q(assets("sample/more-feedback.jsonl")) + dd + " --json --quiet");
    REQUIRE(r.code == 0);
    auto j = nlohmann::json::parse(r.out);
    CHECK(j["version"] == 2);
    CHECK(j["previous_version"] == 1);
    CHECK(j["corpus_examples"] == 300);
    CHECK(j["metrics"]["level_accuracy"].size() == 3);

    r = run("models --json" + dd);
    REQUIRE(r.code == 0);
    j = nlohmann::json::parse(r.out);
    CHECK(j["models"].size() == 2);

    // Pin v1, classify, then roll back and forth: classify follows the active version.
    r = run("promote v1" + dd);
    REQUIRE(r.code == 0);
    r = run("classify --format json " + q(assets("sample-documents")) + dd);
    REQUIRE(r.code == 0);
    j = nlohmann::json::parse(r.out);
    CHECK(j["model_version"] == 1);
    REQUIRE(j["predictions"].size() == 3);
    CHECK(j["predictions"][0]["path"] == "Science/Physics/Optics");
    CHECK(j["predictions"][1]["path"] == "Technology/Software/Databases");
    CHECK(j["predictions"][2]["path"] == "Arts/Music/Jazz");
    for (const auto& p : j["predictions"]) {
        REQUIRE(p["confidence"].size() == 3);
        for (const auto& c : p["confidence"]) {
            CHECK(c.get<double>() >= 0.0);
            CHECK(c.get<double>() <= 1.0);
        }
    }
    r = run("promote 2" + dd);
    REQUIRE(r.code == 0);
    r = run("rollback" + dd);
    REQUIRE(r.code == 0);
    CHECK(r.out.find("v1 is now active") != std::string::npos);

    r = run("classify --format csv " + q(assets("sample-documents/document-1.txt")) + dd);
    REQUIRE(r.code == 0);
    CHECK(r.out.rfind("document,predicted_path,confidence_per_level,top3,model_version\n", 0) == 0);
    CHECK(r.out.find("Science/Physics/Optics") != std::string::npos);

    r = run("evaluate " + q(assets("sample/more-feedback.jsonl")) + " --json" + dd);
    REQUIRE(r.code == 0);
    j = nlohmann::json::parse(r.out);
    CHECK(j["metrics"]["documents"] == 60);
}

TEST_CASE("CLI: failures exit non-zero with a one-line reason", "[cli]") {
    htc::test::TempDir data;
    std::string dd = " --data-dir " + q(data.str());
    auto r = run("classify " + q(assets("sample-documents")) + dd);
    CHECK(r.code != 0);
    CHECK(r.err.find("no active model") != std::string::npos);

    r = run("retrain /nonexistent/file.csv" + dd + " --quiet");
    CHECK(r.code != 0);
    CHECK(r.err.find("/nonexistent/file.csv") != std::string::npos);

    r = run("rollback" + dd);
    CHECK(r.code != 0);
    CHECK(r.err.rfind("htc-trainer: ", 0) == 0);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);

    r = run("promote banana" + dd);
    CHECK(r.code != 0);
    CHECK(r.err.find("not a model version") != std::string::npos);

    r = run("--version");
    CHECK(r.code == 0);
    CHECK(r.out.rfind("htc-trainer ", 0) == 0);

    // A data folder that cannot be one is named, even by commands that only read.
    std::ofstream(data / "plain-file") << "x";
    r = run("models --data-dir " + q((data / "plain-file").string()));
    CHECK(r.code == 2);
    CHECK(r.err == "htc-trainer: the data folder '" + (data / "plain-file").string() +
                       "' is not a folder (choose one with --data-dir or HTC_DATA_DIR)\n");
    r = run("models --data-dir ''");
    CHECK(r.code == 2);
    CHECK(r.err == "htc-trainer: --data-dir is empty: give a folder\n");
}

TEST_CASE("CLI: shared cases that cannot train are refused before training", "[cli][cases]") {
    HTC_REQUIRE_SHARED(blank, "cases/C19_blank_only.txt");
    HTC_REQUIRE_SHARED(unlabeled, "cases/C19_unlabeled.txt");
    HTC_REQUIRE_SHARED(single, "cases/C19_single_class.txt");
    htc::test::TempDir data;
    std::string dd = " --data-dir " + q(data.str()) + " --quiet";
    auto r = run("retrain " + q(blank) + dd);
    CHECK(r.code != 0);
    CHECK((r.err.find("no records") != std::string::npos || r.err.find("no labelled") != std::string::npos));
    r = run("retrain " + q(unlabeled) + dd);
    CHECK(r.code != 0);
    CHECK(r.err.find("no labelled documents") != std::string::npos);
    r = run("retrain " + q(single) + dd);
    CHECK(r.code != 0);
    CHECK(r.err.find("fewer than 2 classes") != std::string::npos);
    CHECK(!fs::exists(data / "models" / "ACTIVE"));
}
