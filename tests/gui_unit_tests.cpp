// The window's logic without a display: formatting rules, drop sorting (case C23), frame
// pacing, the run queue, settings persistence and the retrain file list.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "app/controller.h"
#include "app/drop.h"
#include "app/format.h"
#include "app/frame_pacer.h"
#include "app/proc_stats.h"
#include "app/run_queue.h"
#include "app/settings.h"
#include "test_support.h"

using namespace htc::app;
namespace fs = std::filesystem;

namespace {
void write(const fs::path& p, const std::string& content) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
}
}  // namespace

TEST_CASE("format_file_size follows the seed's formatFileSize", "[gui-unit]") {
    CHECK(format_file_size(0) == "0 Bytes");
    CHECK(format_file_size(1) == "1 Bytes");
    CHECK(format_file_size(1000) == "1000 Bytes");
    CHECK(format_file_size(1023) == "1023 Bytes");
    CHECK(format_file_size(1024) == "1 KB");
    CHECK(format_file_size(1536) == "1.5 KB");
    CHECK(format_file_size(1683313) == "1.61 MB");
    CHECK(format_file_size(1024ull * 1024 * 1024) == "1 GB");
    CHECK(format_file_size(1288490189ull) == "1.2 GB");
    // Past GB the seed printed "undefined"; here it stays a number.
    CHECK(format_file_size(5ull << 40) == "5 TB");
}

TEST_CASE("short ids, durations, names and truncation", "[gui-unit]") {
    CHECK(short_job_id("550e8400-e29b-41d4-a716-446655440000") == "550e8400...");
    CHECK(short_job_id("abc") == "abc");
    CHECK(format_duration(-1) == "-");
    CHECK(format_duration(42) == "42 s");
    CHECK(format_duration(2.5) == "2.5 s");
    CHECK(format_duration(185) == "3 min 05 s");
    CHECK(format_duration(7620) == "2 h 07 min");
    CHECK(file_type_label("/a/b/Data.CsV", false) == "CSV");
    CHECK(file_type_label("/a/b/folder", true) == "Folder");
    CHECK(file_type_label("/a/b/noext", false) == "?");
    CHECK(base_name("/a/b/c.csv") == "c.csv");
    CHECK(base_name("/a/b/dir/") == "dir");
    CHECK(truncate_utf8("Наука/Физика", 5) == "Наука...");
    CHECK(truncate_utf8("short", 10) == "short");
    CHECK(iso_to_epoch("1970-01-01T00:00:10+00:00") == Approx(10.0));
    CHECK(iso_to_epoch("1970-01-01T01:00:10+01:00") == Approx(10.0));
    CHECK(iso_to_epoch("not a time") < 0);
    CHECK(iso_to_local("garbage") == "garbage");
}

TEST_CASE("dropped paths: URLs, missing, unsupported, folders (C23)", "[gui-unit]") {
    htc::test::TempDir dir;
    write(dir / "report (final) v2.csv", "text,label\na,A/B\n");
    write(dir / "naïve-данные-数据.csv", "text,label\nb,A/C\n");
    write(dir / "100%_done.csv", "text,label\nc,A/B\n");
    write(dir / "notes.docx", "x");
    write(dir / "tree/Science/Physics/optics.txt", "Lenses bend light");
    write(dir / "tree/Arts/poem.txt", "Roses");
    write(dir / "tree/.hidden.txt", "no");
    write(dir / "tree/readme.md", "no");
    write(dir / "empty_dir/x.bin", "no");
    const std::vector<std::string> exts = {".csv", ".txt"};
    std::vector<std::string> paths = {(dir / "report (final) v2.csv").string(),
                                      (dir / "naïve-данные-数据.csv").string(),
                                      (dir / "100%_done.csv").string(),
                                      (dir / "notes.docx").string(),
                                      (dir / "tree").string() + "/",
                                      (dir / "empty_dir").string(),
                                      (dir / "missing.csv").string(),
                                      "https://example.com/data.csv",
                                      "smb://server/share/x.csv"};
    DropSorting s = sort_dropped_paths(paths, exts);
    REQUIRE(s.accepted.size() == 4);
    CHECK(s.accepted[0].path == paths[0]);
    CHECK(s.accepted[1].path == paths[1]);
    CHECK(s.accepted[2].path == paths[2]);
    const DroppedItem& tree = s.accepted[3];
    CHECK(tree.is_folder);
    CHECK(tree.path == (dir / "tree").string());
    REQUIRE(tree.files.size() == 2);
    CHECK(tree.files[0].folder_label == "Arts");
    CHECK(tree.files[1].folder_label == "Science/Physics");
    CHECK(tree.unsupported_in_folder == 1);  // readme.md; the hidden file is not counted
    CHECK(tree.size_bytes == 17 + 5);
    REQUIRE(s.rejected.size() == 5);
    CHECK(s.rejected[0].reason.find(".docx is not supported") == 0);
    CHECK(s.rejected[1].reason.find("folder holds no supported file") == 0);
    CHECK(s.rejected[2].reason == "does not exist or cannot be read");
    CHECK(s.rejected[3].reason.find("is a URL") == 0);
    CHECK(s.rejected[4].reason.find("is a URL") == 0);
    CHECK(looks_like_url("http://x"));
    CHECK_FALSE(looks_like_url("/tmp/a://b"));
    CHECK_FALSE(looks_like_url("/tmp/plain.csv"));
}

TEST_CASE("frame pacer: no frames while idle, a few after activity, 10 fps animating",
          "[gui-unit]") {
    FramePacer p;
    double t = 100.0;
    // Start-up frames, then nothing.
    int drawn = 0;
    while (p.should_draw(t)) {
        p.frame_drawn(t);
        ++drawn;
        t += 0.016;
    }
    CHECK(drawn == FramePacer::kFramesAfterActivity);
    CHECK(p.next_wait(t) < 0);  // wait for events forever
    CHECK_FALSE(p.should_draw(t + 3600));
    p.note_activity();
    CHECK(p.next_wait(t) == 0.0);
    CHECK(p.should_draw(t));
    for (int i = 0; i < FramePacer::kFramesAfterActivity; ++i) p.frame_drawn(t);
    CHECK_FALSE(p.should_draw(t));
    p.set_animating(true);
    CHECK(p.next_wait(t) == Approx(0.1));
    CHECK_FALSE(p.should_draw(t + 0.05));
    CHECK(p.should_draw(t + 0.1));
    p.set_animating(false);
    p.set_deadline(t + 4.0);  // a toast expires: sleep until then, draw nothing
    CHECK(p.next_wait(t) == Approx(4.0));
    CHECK_FALSE(p.should_draw(t + 4.0));
}

TEST_CASE("run queue runs closures on drain and wakes the loop", "[gui-unit]") {
    RunQueue q;
    std::atomic<int> wakes{0};
    q.set_wake([&] { ++wakes; });
    int ran = 0;
    std::thread t([&] {
        for (int i = 0; i < 10; ++i) q.post([&] { ++ran; });
    });
    t.join();
    CHECK(wakes.load() == 10);
    CHECK(ran == 0);  // nothing runs on the posting thread
    CHECK(q.drain() == 10);
    CHECK(ran == 10);
    CHECK(q.empty());
    // A closure posted while draining waits for the next drain.
    q.post([&] { q.post([&] { ran += 100; }); });
    CHECK(q.drain() == 1);
    CHECK(ran == 10);
    CHECK(q.drain() == 1);
    CHECK(ran == 110);
}

TEST_CASE("settings round-trip and survive a damaged file", "[gui-unit]") {
    htc::test::TempDir dir;
    const std::string path = (dir / "gui-settings.json").string();
    std::string warning;
    GuiSettings d = load_settings(path, &warning);  // missing file: defaults, no warning
    CHECK(warning.empty());
    CHECK(d.tab == "retrain");
    GuiSettings s;
    s.scale = 1.5;
    s.tab = "history";
    s.window_width = 1000;
    s.window_height = 700;
    s.training.engine = "fasttext";
    s.training.params.epochs = 25;
    s.training.label_cols = "2,3,4";
    s.history_status = "failed";
    save_settings(path, s);
    GuiSettings r = load_settings(path, &warning);
    CHECK(warning.empty());
    CHECK(r.scale == 1.5);
    CHECK(r.tab == "history");
    CHECK(r.window_width == 1000);
    CHECK(r.training.engine == "fasttext");
    CHECK(r.training.params.epochs == 25);
    CHECK(r.training.label_cols == "2,3,4");
    CHECK(r.history_status == "failed");
    write(path, "{\"tab\": \"models\", \"scale\": \"huge\"");  // cut off
    GuiSettings bad = load_settings(path, &warning);
    CHECK(bad.tab == "retrain");
    CHECK(warning.find(path) == 0);
    write(path, "{\"tab\": \"models\", \"scale\": \"huge\", \"window_width\": 5}");
    warning.clear();
    GuiSettings odd = load_settings(path, &warning);
    CHECK(warning.empty());
    CHECK(odd.tab == "models");
    CHECK(odd.scale == 0);           // wrong type keeps the default
    CHECK(odd.window_width == 320);  // clamped
}

TEST_CASE("retrain entry aggregates and problems name the file once", "[gui-unit]") {
    RetrainEntry e;
    e.is_folder = true;
    e.unsupported_in_folder = 2;
    InspectedFile a, b;
    a.path = "/d/x/a.txt";
    a.done = true;
    a.report.format = "txt-document";
    a.report.records = 3;
    a.report.labelled = 3;
    b.path = "/d/y/b.pdf";
    b.done = true;
    b.report.format = "pdf";
    b.report.error = "/d/y/b.pdf: encrypted PDF";
    e.files = {a, b};
    CHECK(e.inspected());
    CHECK(e.records() == 3);
    CHECK(e.labelled() == 3);
    CHECK(e.usable());
    CHECK(e.formats() == "pdf, txt-document");
    auto p = e.problems();
    REQUIRE(p.size() == 2);
    CHECK(p[0] == "b.pdf: encrypted PDF");
    CHECK(p[1] == "2 file(s) in the folder skipped: unsupported type");
    e.files[1].done = false;
    CHECK_FALSE(e.inspected());
    CHECK_FALSE(e.usable());
}

TEST_CASE("process monitor reads this process", "[gui-unit]") {
    ProcSample s = read_proc_self();
    REQUIRE(s.ok);
    CHECK(s.rss_bytes > 1024 * 1024);
    ProcMonitor m;
    CHECK(m.update(10.0));
    CHECK_FALSE(m.update(10.5));  // at most once a second
    volatile double sink = 0;
    for (int i = 0; i < 20000000; ++i) sink = sink + i * 0.5;
    CHECK(m.update(11.5));
    CHECK(m.valid());
    CHECK(m.cpu_percent() >= 0);
}
