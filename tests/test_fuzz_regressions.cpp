// Replays the fuzzing inputs kept in git through the product's public entry points, in every
// build (not only the clang fuzz build): tests/fuzz/regressions/<target>/ holds inputs that
// once broke an invariant, tests/fuzz/corpus/<target>/ the seeds. The invariants are those of
// the fuzz targets (tests/fuzz/fuzz_*.cpp).
#include <filesystem>
#include <fstream>

#include "ingest/ingest.h"
#include "jobs/upload_store.h"
#include "model/taxonomy.h"
#include "test_support.h"
#include "text/encoding.h"

namespace fs = std::filesystem;
using namespace htc;

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<fs::path> inputs_of(const std::string& target) {
    std::vector<fs::path> out;
    for (const char* kind : {"regressions", "corpus"}) {
        fs::path dir = test::source_dir() / "tests" / "fuzz" / kind / target;
        if (!fs::exists(dir)) continue;
        for (const auto& e : fs::directory_iterator(dir))
            if (e.is_regular_file()) out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

// The reader targets' invariants, through ingest_file on a real file.
void check_reader(const std::string& target, const std::string& ext, bool mode_byte) {
    test::TempDir tmp;
    std::size_t n = 0;
    for (const auto& in : inputs_of(target)) {
        std::string bytes = slurp(in);
        if (mode_byte) {
            if (bytes.empty()) continue;
            bytes.erase(0, 1);
        }
        fs::path file = tmp / ("input" + std::to_string(n++) + ext);
        std::ofstream(file, std::ios::binary) << bytes;
        IngestOptions o;
        o.max_json_depth = 64;
        o.max_field_bytes = 4096;
        o.max_pdf_pages = 50;
        o.max_pdf_seconds = 5;
        std::vector<Record> out;
        FileReport rep;
        INFO(in.string());
        REQUIRE_NOTHROW(rep = ingest_file(file.string(), o, out));
        CHECK(rep.records == out.size());
        for (const auto& r : out) {
            CHECK(is_valid_utf8(r.text));
            CHECK(is_valid_utf8(r.label));
            CHECK(r.line >= 1);
        }
        CHECK(is_valid_utf8(rep.error));
        for (const auto& w : rep.warnings) CHECK(is_valid_utf8(w));
    }
    CHECK(n > 0);
}

}  // namespace

TEST_CASE("fuzz inputs: readers", "[fuzz]") {
    check_reader("csv", ".csv", true);
    check_reader("json", ".json", true);
    check_reader("txt", ".txt", false);
    check_reader("pdf", ".pdf", false);
}

TEST_CASE("fuzz inputs: label paths and upload names", "[fuzz]") {
    for (const auto& in : inputs_of("label_path")) {
        std::string s = slurp(in);
        INFO(in.string());
        std::string error;
        auto p = parse_label_path(s, &error);
        if (!p) {
            CHECK_FALSE(error.empty());
            continue;
        }
        for (const auto& seg : p->segments) {
            CHECK_FALSE(seg.empty());
            CHECK(is_valid_utf8(seg));
        }
        CHECK(parse_label_path(p->str())->str() == p->str());
    }
    for (const auto& in : inputs_of("upload_name")) {
        std::string s = jobs::safe_file_name(slurp(in));
        INFO(in.string());
        CHECK_FALSE(s.empty());
        CHECK(s.find('/') == std::string::npos);
        CHECK(s.find('\\') == std::string::npos);
        CHECK(s.front() != '.');
        CHECK(s.back() != '.');
        CHECK(s.back() != ' ');
        CHECK(s.size() <= 180);
        CHECK(jobs::safe_file_name(s) == s);
    }
}

TEST_CASE("fuzz finding: a JSON number too large for a double is a clear message", "[fuzz][ingest]") {
    // Found by fuzz_json (tests/fuzz/regressions/json/number-overflow): the parser's
    // out_of_range error escaped the JSON reader, which only expected syntax errors.
    test::TempDir tmp;
    auto read = [&](const std::string& name, const std::string& content) {
        std::ofstream(tmp / name, std::ios::binary) << content;
        std::vector<Record> out;
        FileReport rep = ingest_file((tmp / name).string(), {}, out);
        return std::make_pair(rep, out);
    };
    auto [a, a_out] = read("big.json", R"([{"text": "t", "label": "A", "score": 1e999}])");
    CHECK_FALSE(a.ok());
    CHECK_THAT(a.error, Catch::Contains("big.json: invalid JSON: number overflow parsing '1e999' "
                                        "(too large for a number)"));
    CHECK(a_out.empty());

    // JSON Lines: only that line is skipped, with its number.
    auto [b, b_out] = read("big.jsonl", "{\"text\": \"a\", \"label\": \"A\"}\n"
                                        "{\"text\": \"b\", \"label\": \"B\", \"n\": -4E4444}\n"
                                        "{\"text\": \"c\", \"label\": \"C\"}\n");
    REQUIRE(b.ok());
    REQUIRE(b_out.size() == 2);
    CHECK(b_out[1].text == "c");
    REQUIRE(b.skipped.size() == 1);
    CHECK(b.skipped[0].line == 2);
    CHECK_THAT(b.skipped[0].reason, Catch::Contains("number overflow"));

    // The same with a .json name (JSON Lines detected from the first line).
    auto [c, c_out] = read("lines.json", "{\"text\": \"a\", \"label\": \"A\"}\n"
                                         "{\"text\": \"b\", \"label\": \"B\", \"n\": 1e400}\n");
    REQUIRE(c.ok());
    CHECK(c_out.size() == 1);
    CHECK(c.skipped.size() == 1);
}

TEST_CASE("fuzz finding: a long upload name cut on a space or dot is trimmed again",
          "[fuzz][jobs]") {
    // Found by fuzz_upload_name (tests/fuzz/regressions/upload_name/cut-ends-in-space): the
    // 180-byte cut could end on a space or a dot (dropped by Windows), and sanitizing the
    // result again changed it.
    std::string name = std::string(175, 'a') + std::string(20, ' ') + "tail";
    std::string s = jobs::safe_file_name(name);
    CHECK(s == std::string(175, 'a'));
    CHECK(jobs::safe_file_name(s) == s);
    name = std::string(170, 'b') + std::string(30, '.') + "x.csv";
    s = jobs::safe_file_name(name);
    CHECK(s == std::string(170, 'b') + ".csv");
    CHECK(jobs::safe_file_name(s) == s);
    // A cut that leaves only spaces before the extension.
    s = jobs::safe_file_name("a" + std::string(300, ' ') + ".csv");
    CHECK(s.size() <= 180);
    CHECK(s.back() != ' ');
    CHECK(jobs::safe_file_name(s) == s);
}
