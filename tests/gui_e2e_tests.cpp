// The real window under Xvfb (run through tests/run_with_xvfb.sh by ctest): an OS-level XDND
// drop from a separate drag-source process, idle CPU and persistence, and a scripted retrain
// on the DBpedia file that ends in the history and a CSV export equal to the CLI's.
// Screenshots land in <build>/screenshots/ for a person to look at.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "test_support.h"

extern char** environ;

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

double now_s() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

struct Child {
    pid_t pid = 0;
    int status = -1;
    explicit Child(const std::vector<std::string>& args) {
        std::vector<char*> argv;
        std::vector<std::string> copy = args;
        for (auto& a : copy) argv.push_back(a.data());
        argv.push_back(nullptr);
        if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) pid = 0;
    }
    // Exit code, or -1 when it did not end within `timeout` (it is killed then).
    int wait(double timeout) {
        if (pid == 0) return -1;
        double end = now_s() + timeout;
        while (now_s() < end) {
            pid_t r = waitpid(pid, &status, WNOHANG);
            if (r == pid) {
                pid = 0;
                return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        kill_now();
        return -1;
    }
    void kill_now() {
        if (pid == 0) return;
        ::kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        pid = 0;
    }
    ~Child() { kill_now(); }
};

// utime + stime of a process, in seconds.
double cpu_seconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(in, line);
    auto close = line.rfind(')');
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    unsigned long long ut = 0, st = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) ut = std::stoull(field);
        if (i == 15) st = std::stoull(field);
    }
    return static_cast<double>(ut + st) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

void write(const fs::path& p, const std::string& content) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
}

json read_json(const fs::path& p) {
    std::ifstream in(p);
    REQUIRE(in);
    return json::parse(in);
}

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

bool wait_for_file(const fs::path& p, double timeout) {
    double end = now_s() + timeout;
    while (now_s() < end) {
        if (fs::exists(p) && fs::file_size(p) > 0) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

std::vector<std::string> app_args(const htc::test::TempDir& dir, const fs::path& script,
                                  const std::string& shots) {
    return {htc::test::binary(), "gui",
            "--data-dir",        (dir / "data").string(),
            "--test-script",     script.string(),
            "--screenshot-dir",  shots,
            "--width",           "1280",
            "--height",          "820",
            "--scale",           "1"};
}

const json* find_by_name(const json& files, const std::string& name) {
    for (const auto& f : files) {
        if (f.value("name", "") == name) return &f;
    }
    return nullptr;
}

bool have_display() {
    const char* d = std::getenv("DISPLAY");
    return d && *d;
}

}  // namespace

TEST_CASE("an OS-level XDND drop of 507 items lands in Files to Retrain (C23)", "[gui-e2e][drop]") {
    REQUIRE(have_display());
    htc::test::TempDir dir;
    const fs::path drops = dir / "drops";
    write(drops / "report (final) v2.csv", "text,label\nhello world,A/B\n");
    write(drops / "naïve-данные-数据.csv", "text,label\nпривет мир,Наука/Физика\n");
    write(drops / "100%_done.csv", "text,label\nx y,A/C\n");
    write(drops / "report_%s%n_100%.csv", "text,label\nz,科学/物理/浏览\n");  // C25
    write(drops / "labels/Science/Physics/optics.txt", "Lenses bend light");
    write(drops / "labels/Arts/poem.txt", "Roses are red");
    write(drops / "notes.docx", "not feedback");
    std::vector<std::string> items = {(drops / "report (final) v2.csv").string(),
                                      (drops / "naïve-данные-数据.csv").string(),
                                      (drops / "100%_done.csv").string(),
                                      (drops / "report_%s%n_100%.csv").string(),
                                      (drops / "labels").string(),
                                      (drops / "notes.docx").string(),
                                      "https://example.com/data.csv"};
    for (int i = 1; i <= 500; ++i) {
        fs::path p = drops / "many" / ("f" + std::to_string(i) + ".csv");
        write(p,
              "text,label\ndocument " + std::to_string(i) + ",A/B" + std::to_string(i % 3) + "\n");
        items.push_back(p.string());
    }
    const fs::path state = dir / "state.json";
    const fs::path script = dir / "drop.script";
    write(script,
          "tab retrain\n"
          "wait_files 505 120\n"
          "wait_rejections 2 60\n"
          "screenshot drop-retrain\n"
          "dump " +
              state.string() +
              "\n"
              "quit\n");
    Child app(app_args(dir, script, HTC_SCREENSHOT_DIR));
    REQUIRE(app.pid != 0);
    std::vector<std::string> drop_args = {HTC_XDND_DROP, "--title", "HTC Trainer", "--timeout",
                                          "60"};
    drop_args.insert(drop_args.end(), items.begin(), items.end());
    Child drag(drop_args);
    CHECK(drag.wait(90) == 0);
    REQUIRE(app.wait(180) == 0);

    json s = read_json(state);
    const json& files = s["retrain_files"];
    CHECK(files.size() == 505);
    for (const std::string name : {"report (final) v2.csv", "naïve-данные-数据.csv",
                                   "100%_done.csv", "report_%s%n_100%.csv", "f1.csv", "f500.csv"}) {
        const json* f = find_by_name(files, name);
        REQUIRE(f != nullptr);
        CHECK((*f)["inspected"] == true);
        CHECK((*f)["records"] == 1);
        CHECK((*f)["labelled"] == 1);
        CHECK((*f)["type"] == "CSV");
    }
    const json* folder = find_by_name(files, "labels");
    REQUIRE(folder != nullptr);
    CHECK((*folder)["is_folder"] == true);
    CHECK((*folder)["files"] == 2);
    CHECK((*folder)["labelled"] == 2);  // labels from the sub-folders
    CHECK((*folder)["type"] == "Folder");
    const json* small = find_by_name(files, "report (final) v2.csv");
    CHECK((*small)["size_text"] == "27 Bytes");
    REQUIRE(s["rejections"].size() == 2);
    CHECK(s["rejections"][0]["path"] == (drops / "notes.docx").string());
    CHECK(s["rejections"][0]["reason"].get<std::string>().find(".docx is not supported") == 0);
    CHECK(s["rejections"][1]["path"] == "https://example.com/data.csv");
    CHECK(s["rejections"][1]["reason"].get<std::string>().find("is a URL") == 0);
    CHECK(s["start_blocker"] == "");
    // Responsive while 505 items were sorted and counted in the background.
    CHECK(s["max_frame_gap_seconds"].get<double>() < 1.0);
    CHECK(fs::exists(fs::path(HTC_SCREENSHOT_DIR) / "drop-retrain.png"));
}

TEST_CASE("the idle window draws no frames and uses no CPU; settings persist", "[gui-e2e][idle]") {
    REQUIRE(have_display());
    htc::test::TempDir dir;
    const fs::path ready = dir / "ready.json";
    const fs::path exit_state = dir / "exit.json";
    const fs::path script = dir / "idle.script";
    // The script ends without quit: the window stays open, as a user leaves it.
    write(script, "tab history\nframes 3\nscreenshot idle-history\ndump " + ready.string() + "\n");
    auto args = app_args(dir, script, HTC_SCREENSHOT_DIR);
    args.push_back("--exit-state");
    args.push_back(exit_state.string());
    Child app(args);
    REQUIRE(app.pid != 0);
    REQUIRE(wait_for_file(ready, 60));
    // A real click (XTEST) on the Status column header sorts the history table; ImGui keeps
    // the sort in imgui.ini. The window sits at the screen origin (Xvfb has no window manager).
    Child click({"/usr/bin/xdotool", "mousemove", "300", "104", "click", "1"});
    CHECK(click.wait(30) == 0);
    // The trailing frames after the last input, then measure.
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    const double cpu0 = cpu_seconds(app.pid);
    const double t0 = now_s();
    std::this_thread::sleep_for(std::chrono::seconds(5));
    const double cpu = cpu_seconds(app.pid) - cpu0;
    const double wall = now_s() - t0;
    WARN("idle CPU over " << wall << " s: " << cpu << " s (" << 100.0 * cpu / wall << "%)");
    CHECK(cpu <= 0.05);
    // Close as a window manager does.
    Child close({HTC_XDND_DROP, "--title", "HTC Trainer", "--close"});
    CHECK(close.wait(30) == 0);
    REQUIRE(app.wait(60) == 0);
    json s = read_json(exit_state);
    const auto frames_idle = s["frames_drawn"].get<long>() - s["frames_at_script_end"].get<long>();
    // Only the few frames that settle the click (move + press + release) and the close.
    CHECK(frames_idle <= 12);
    // Persistence: the selected tab and the table layout are saved in the data folder.
    json settings = read_json(dir / "data" / "gui-settings.json");
    CHECK(settings["tab"] == "history");
    std::string ini = read_all(dir / "data" / "imgui.ini");
    CHECK(ini.find("[Table]") != std::string::npos);
    // Column 2 (Status) is the first sort key, ascending (ImGui writes 'v' for ascending).
    CHECK(ini.find("Column 2  Sort=0v") != std::string::npos);

    // The next start opens on the saved tab.
    const fs::path state2 = dir / "state2.json";
    write(script, "frames 2\ndump " + state2.string() + "\nquit\n");
    Child again(app_args(dir, script, HTC_SCREENSHOT_DIR));
    REQUIRE(again.wait(60) == 0);
    CHECK(read_json(state2)["tab"] == "history");
}

TEST_CASE("scripted retrain on DBpedia: progress, completed in history, CSV equals the CLI's",
          "[gui-e2e][retrain]") {
    REQUIRE(have_display());
    HTC_REQUIRE_SHARED(dbpedia, "data/dbpedia/dbpedia-classes-2500.csv");
    htc::test::TempDir dir;
    const fs::path state = dir / "state.json";
    const fs::path state2 = dir / "state2.json";
    const fs::path script = dir / "retrain.script";
    write(script,
          "tab retrain\n"
          "drop " +
              dbpedia +
              "\n"
              "set text_col 1\n"
              "set label_cols 2,3,4\n"
              "reinspect\n"
              "wait_files 1 60\n"
              "set engine linear\n"
              "open_options\n"
              "screenshot retrain-files\n"
              "start_retrain\n"
              "wait_progress 120\n"
              "wait_curve 30 120\n"
              "screenshot retrain-running\n"
              "wait_job completed 600\n"
              "frames 3\n"
              "screenshot retrain-done\n"
              "tab history\n"
              "wait_history 1 60\n"
              "screenshot history\n"
              "view last\n"
              "frames 5\n"
              "screenshot job-view\n"
              "close_view\n"
              "tab models\n"
              "frames 3\n"
              "screenshot models\n"
              "dump " +
              state.string() +
              "\n"
              // A second retrain on top of v1: the summary compares it with v1.
              "tab retrain\n"
              "drop " +
              dbpedia +
              "\n"
              "wait_files 1 60\n"
              "start_retrain\n"
              "wait_job completed 600\n"
              "frames 3\n"
              "screenshot retrain-compare\n"
              "tab history\n"
              "wait_history 2 60\n"
              "export_csv\n"
              "wait_export 60\n"
              "dump " +
              state2.string() +
              "\n"
              "quit\n");
    Child app(app_args(dir, script, HTC_SCREENSHOT_DIR));
    REQUIRE(app.pid != 0);
    REQUIRE(app.wait(900) == 0);
    json s = read_json(state);
    const json& jobs = s["jobs"];
    const std::string id = jobs["started_job"];
    REQUIRE(id.size() == 36);
    CHECK(jobs["max_progress_seen"].get<double>() > 0);
    // The linear engine's live curve (squared hinge loss per class trained so far).
    CHECK(jobs["max_curve_points_seen"].get<std::size_t>() >= 30);
    REQUIRE(jobs["finished"].is_object());
    CHECK(jobs["finished"]["status"] == "completed");
    CHECK(jobs["finished"]["version"] == 1);
    CHECK(jobs["finished"]["promoted"] == true);
    CHECK(jobs["finished"]["metrics"]["level_accuracy"][0].get<double>() > 0.8);
    CHECK(s["active_version"] == 1);
    REQUIRE(jobs["history"].size() >= 1);
    CHECK(jobs["history"][0]["id"] == id);
    CHECK(jobs["history"][0]["badge"] == "completed");  // the green badge
    CHECK(jobs["history"][0]["model_version"] == 1);

    json s2 = read_json(state2);
    const json& fin2 = s2["jobs"]["finished"];
    REQUIRE(fin2.is_object());
    CHECK(fin2["id"] != id);
    CHECK(fin2["status"] == "completed");
    CHECK(fin2["version"] == 2);
    CHECK(fin2["previous_version"] == 1);
    REQUIRE(fin2["previous_metrics"].is_object());
    CHECK(fin2["previous_metrics"]["h_f1"].get<double>() > 0.5);
    CHECK(s2["jobs"]["history_rows"] == 2);

    // Export CSV wrote the same bytes as `htc-trainer history --csv`.
    const std::string gui_csv = s2["jobs"]["last_export"];
    REQUIRE(fs::exists(gui_csv));
    const fs::path cli_csv = dir / "cli.csv";
    Child cli({htc::test::binary(), "--data-dir", (dir / "data").string(), "history", "--csv",
               cli_csv.string()});
    REQUIRE(cli.wait(60) == 0);
    const std::string a = read_all(gui_csv), b = read_all(cli_csv);
    CHECK(a.size() > 100);
    CHECK(a == b);
    CHECK(a.find(id) != std::string::npos);
    CHECK(a.find(fin2["id"].get<std::string>()) != std::string::npos);
}

TEST_CASE("SIGTERM closes the window gracefully: the running job is queued again",
          "[gui-e2e][idle]") {
    REQUIRE(have_display());
    HTC_REQUIRE_SHARED(dbpedia, "data/dbpedia/dbpedia-classes-2500.csv");
    htc::test::TempDir dir;
    const fs::path ready = dir / "ready.json";
    const fs::path script = dir / "term.script";
    // fastText trains DBpedia for several seconds: long enough to be stopped mid-run.
    write(script, "tab retrain\ndrop " + dbpedia +
                      "\nset text_col 1\nset label_cols 2,3,4\nreinspect\nwait_files 1 60\n"
                      "set engine fasttext\nstart_retrain\nwait_progress 120\ndump " +
                      ready.string() + "\n");
    Child app(app_args(dir, script, HTC_SCREENSHOT_DIR));
    REQUIRE(app.pid != 0);
    REQUIRE(wait_for_file(ready, 120));
    json s = read_json(ready);
    const std::string id = s["jobs"]["started_job"];
    REQUIRE(id.size() == 36);
    REQUIRE_FALSE(s["jobs"]["finished"].is_object());  // still running
    ::kill(app.pid, SIGTERM);
    CHECK(app.wait(60) == 128 + SIGTERM);
    // The window saved its settings and put the job back in the queue.
    CHECK(fs::exists(dir / "data" / "gui-settings.json"));
    const fs::path out = dir / "job.json";
    Child job({"/bin/sh", "-c",
               "'" + htc::test::binary() + "' --json --data-dir '" + (dir / "data").string() +
                   "' job " + id + " > '" + out.string() + "'"});
    REQUIRE(job.wait(60) == 0);
    json rec = read_json(out);
    CHECK(rec["status"] == "queued");
    CHECK(rec["finished"].is_null());
}

TEST_CASE("first run: an empty data folder shows the first-run view; one click on the bundled "
          "sample trains the first model",
          "[gui-e2e][first-run]") {
    REQUIRE(have_display());
    htc::test::TempDir dir;
    const fs::path before = dir / "before.json";
    const fs::path after = dir / "after.json";
    const fs::path script = dir / "first-run.script";
    write(script,
          "wait_first_run 60\n"
          "screenshot first-run\n"
          "dump " +
              before.string() +
              "\n"
              "train_sample\n"
              "wait_job completed 300\n"
              "frames 3\n"
              "screenshot first-model\n"
              "tab history\n"
              "wait_history 1 60\n"
              "frames 3\n"
              "screenshot first-model-history\n"
              "view last\n"
              "frames 5\n"
              "screenshot first-model-job\n"
              "close_view\n"
              "tab models\n"
              "frames 3\n"
              "screenshot first-model-models\n"
              "tab upload\n"
              "drop " +
              (htc::test::source_dir() / "assets" / "sample-documents").string() +
              "\n"
              "wait_uploads 3 60\n"
              "frames 10\n"
              "screenshot first-model-upload\n"
              "dump " +
              after.string() + "\nquit\n");
    Child app(app_args(dir, script, HTC_SCREENSHOT_DIR));
    REQUIRE(app.pid != 0);
    REQUIRE(app.wait(400) == 0);

    json b = read_json(before);
    CHECK(b["first_run"] == true);
    CHECK(b["tab"] == "retrain");
    CHECK(b["active_version"].is_null());
    CHECK(b["data_source"] == "--data-dir");
    CHECK(b["data_dir"] == (dir / "data").string());
    // From the build tree the sample is the source tree's.
    CHECK(fs::equivalent(b["sample_dir"].get<std::string>(),
                         htc::test::source_dir() / "assets" / "sample"));

    json a = read_json(after);
    CHECK(a["first_run"] == false);
    CHECK(a["active_version"] == 1);
    const json& fin = a["jobs"]["finished"];
    REQUIRE(fin.is_object());
    CHECK(fin["status"] == "completed");
    CHECK(fin["version"] == 1);
    CHECK(fin["promoted"] == true);
    CHECK(fin["previous_version"] == 0);
    // The three-level sample: every level is learnt well above chance.
    REQUIRE(fin["metrics"]["level_accuracy"].size() == 3);
    CHECK(fin["metrics"]["level_accuracy"][0].get<double>() > 0.8);
    REQUIRE(a["jobs"]["history"].size() == 1);
    CHECK(a["jobs"]["history"][0]["status"] == "completed");
    CHECK(a["jobs"]["history"][0]["model_version"] == 1);
    // The job went through the job system: its two files were copied into the upload store.
    int uploaded = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir / "data" / "htc_uploads")) {
        if (e.is_regular_file()) ++uploaded;
    }
    CHECK(uploaded == 2);
    CHECK(a["upload_docs"].size() == 3);
    CHECK(fs::exists(dir / "data" / "models" / "ACTIVE"));
    CHECK(fs::exists(fs::path(HTC_SCREENSHOT_DIR) / "first-run.png"));
    CHECK(fs::exists(fs::path(HTC_SCREENSHOT_DIR) / "first-model.png"));
}
