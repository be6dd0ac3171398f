// The Document Upload and Models tabs in the real window under Xvfb: classify DBpedia rows,
// correct 20 wrong predictions, retrain with the corrections, compare the versions, roll back.
// Screenshots of both tabs land in <build>/screenshots/.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "test_support.h"

extern char** environ;

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

double now_seconds() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// A child process, killed when the test leaves early.
struct Process {
    pid_t pid = 0;
    explicit Process(const std::vector<std::string>& args) {
        std::vector<std::string> copy = args;
        std::vector<char*> argv;
        for (auto& a : copy) argv.push_back(a.data());
        argv.push_back(nullptr);
        if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) pid = 0;
    }
    int wait(double timeout) {
        int status = 0;
        double end = now_seconds() + timeout;
        while (pid && now_seconds() < end) {
            if (waitpid(pid, &status, WNOHANG) == pid) {
                pid = 0;
                return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return -1;
    }
    ~Process() {
        if (!pid) return;
        ::kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
    }
};

void write_file(const fs::path& p, const std::string& s) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << s;
}

json load_json(const fs::path& p) {
    std::ifstream in(p);
    REQUIRE(in);
    return json::parse(in);
}

std::string rows(const std::string& path, int first, int last) {
    std::ifstream in(path);
    std::string line, out;
    for (int n = 1; std::getline(in, line); ++n)
        if (n >= first && n <= last) out += line + "\n";
    return out;
}

}  // namespace

TEST_CASE("Document Upload and Models: classify, correct 20, retrain, compare, roll back",
          "[gui-e2e][feedback]") {
    const char* display = std::getenv("DISPLAY");
    REQUIRE((display && *display));
    HTC_REQUIRE_SHARED(dbpedia, "data/dbpedia/dbpedia-classes-2500.csv");
    htc::test::TempDir dir;
    const fs::path data = dir / "data";
    write_file(dir / "train.csv", rows(dbpedia, 1, 1500));
    write_file(dir / "docs.csv", rows(dbpedia, 1501, 1800));
    write_file(dir / "gold.csv", rows(dbpedia, 1801, 1900));
    // v1 from the command line (the same data folder the window opens).
    Process train({htc::test::binary(), "--data-dir", data.string(), "-q", "retrain", "--engine",
                   "linear", (dir / "train.csv").string()});
    REQUIRE(train.wait(300) == 0);

    const fs::path s1 = dir / "s1.json", s2 = dir / "s2.json", s3 = dir / "s3.json",
                   s4 = dir / "s4.json";
    const fs::path script = dir / "feedback.script";
    const std::string shots = HTC_SCREENSHOT_DIR;
    write_file(script,
               "tab upload\n"
               "drop " +
                   (dir / "docs.csv").string() +
                   "\n"
                   "wait_classified 300 120\n"
                   "threshold 0.5\n"
                   "frames 3\n"
                   "screenshot upload-results\n"
                   "open_picker 0\n"
                   "frames 4\n"
                   "screenshot upload-label-picker\n"
                   "picker_new Work/Periodical/Fanzine\n"
                   "frames 3\n"
                   "screenshot upload-new-label-confirm\n"
                   "close_picker\n"
                   "frames 2\n"
                   "correct_wrong 20\n"
                   "wait_feedback 20 60\n"
                   "frames 3\n"
                   "screenshot upload-corrected\n"
                   "dump " +
                   s1.string() +
                   "\n"
                   "retrain_corrections\n"
                   "wait_job completed 600\n"
                   "wait_active v2 60\n"
                   "reclassify\n"
                   "wait_classified 300 120\n"
                   "frames 3\n"
                   "screenshot upload-after-retrain\n"
                   "dump " +
                   s2.string() +
                   "\n"
                   "tab models\n"
                   "pin " +
                   (dir / "gold.csv").string() +
                   "\n"
                   "wait_pinned 1 60\n"
                   "wait_models 2 60\n"
                   "compare v1 v2\n"
                   "wait_compare 60\n"
                   "frames 3\n"
                   "screenshot models-compare\n"
                   "ask_rollback v1\n"
                   "frames 3\n"
                   "screenshot models-rollback-confirm\n"
                   "rollback v1\n"
                   "wait_active v1 60\n"
                   "frames 3\n"
                   "screenshot models-after-rollback\n"
                   "tab upload\n"
                   "reclassify\n"
                   "wait_classified 300 120\n"
                   "frames 2\n"
                   "dump " +
                   s3.string() +
                   "\n"
                   // Auto Sync: two more corrections queue a retrain by themselves.
                   "autosync 2\n"
                   "correct_wrong 2\n"
                   "wait_feedback 22 60\n"
                   "wait_auto_sync 60\n"
                   "wait_job completed 600\n"
                   "wait_active v3 60\n"
                   "dump " +
                   s4.string() +
                   "\n"
                   "quit\n");
    Process app({htc::test::binary(), "gui", "--data-dir", data.string(), "--test-script",
                 script.string(), "--screenshot-dir", shots, "--width", "1280", "--height", "820",
                 "--scale", "1"});
    REQUIRE(app.pid != 0);
    REQUIRE(app.wait(900) == 0);

    // Classified: 300 rows with the active model v1, some wrong; 20 of them corrected.
    json a = load_json(s1);
    const json& r1 = a["upload"]["results"];
    REQUIRE(r1.size() == 300);
    std::map<std::string, std::string> corrected;  // document -> correct path
    for (const auto& r : r1) {
        CHECK(r["model_version"] == 1);
        CHECK(r["confidence"].size() == 3);
        CHECK(r["top"] == 3);
        if (!r["corrected"].get<std::string>().empty()) {
            CHECK(r["predicted"] != r["corrected"]);
            corrected[r["document"]] = r["corrected"];
        }
    }
    REQUIRE(corrected.size() == 20);
    CHECK(a["upload"]["pending_feedback"] == 20);
    CHECK(a["upload"]["label_paths"].get<int>() > 200);

    // After the retrain with corrections: v2 is active and gets all 20 right.
    json b = load_json(s2);
    CHECK(b["active_version"] == 2);
    CHECK(b["upload"]["pending_feedback"] == 0);
    REQUIRE(b["jobs"]["finished"].is_object());
    CHECK(b["jobs"]["finished"]["status"] == "completed");
    CHECK(b["jobs"]["finished"]["promoted"] == true);
    double h_new = b["jobs"]["finished"]["metrics"]["h_f1"];
    double h_old = b["jobs"]["finished"]["previous_metrics"]["h_f1"];
    CHECK(h_new >= h_old);
    int right = 0;
    for (const auto& r : b["upload"]["results"]) {
        CHECK(r["model_version"] == 2);
        auto it = corrected.find(r["document"]);
        if (it != corrected.end()) {
            right += r["predicted"] == it->second;
            CHECK(r["corrected"] == it->second);  // the saved correction stays on the row
        }
    }
    CHECK(right == 20);

    // Rolled back to v1: classification answers as v1 again.
    json c = load_json(s3);
    CHECK(c["active_version"] == 1);
    CHECK(c["models"]["pinned"] == json::array({"gold.csv"}));
    int wrong_again = 0;
    for (const auto& r : c["upload"]["results"]) {
        CHECK(r["model_version"] == 1);
        auto it = corrected.find(r["document"]);
        if (it != corrected.end()) wrong_again += r["predicted"] != it->second;
    }
    CHECK(wrong_again == 20);
    // Auto Sync queued the third version from the two new corrections.
    json d = load_json(s4);
    CHECK(d["active_version"] == 3);
    CHECK(d["upload"]["pending_feedback"] == 0);
    CHECK(d["upload"]["corrections_saved"] == 22);
    CHECK(d["jobs"]["finished"]["version"] == 3);
    CHECK(load_json(data / "schedule.json")["auto_sync"] == true);
    for (const char* shot : {"upload-results", "upload-label-picker", "upload-new-label-confirm",
                             "upload-corrected", "upload-after-retrain", "models-compare",
                             "models-rollback-confirm", "models-after-rollback"})
        CHECK(fs::exists(fs::path(shots) / (std::string(shot) + ".png")));
}
