// The bad and awkward inputs of ../shared/cases (CASES.md) that concern reading files.
#include <chrono>

#include "ingest/ingest.h"
#include "test_support.h"
#include "text/encoding.h"

using namespace htc;

namespace {

struct Read {
    FileReport report;
    std::vector<Record> records;
};

Read read_case(const std::string& path) {
    Read r;
    r.report = ingest_file(path, IngestOptions{}, r.records);
    for (const auto& rec : r.records) {
        CHECK(is_valid_utf8(rec.text));
        CHECK(is_valid_utf8(rec.label));
        CHECK(rec.source == path);
        CHECK(rec.line >= 1);
    }
    return r;
}

bool contains(const std::string& hay, const std::string& needle) {
    return hay.find(needle) != std::string::npos;
}

bool any_warning(const FileReport& f, const std::string& needle) {
    for (const auto& w : f.warnings) {
        if (contains(w, needle)) return true;
    }
    return false;
}

}  // namespace

TEST_CASE("C01: exactly one UTF-8 BOM dropped, plain and quoted header", "[ingest][cases]") {
    HTC_REQUIRE_SHARED(plain, "cases/C01_bom_plain.csv");
    HTC_REQUIRE_SHARED(quoted, "cases/C01_bom_quoted_header.csv");
    auto a = read_case(plain);
    REQUIRE(a.report.ok());
    CHECK(a.report.encoding == "utf-8-bom");
    REQUIRE(a.records.size() == 1);
    CHECK(a.records[0].text == "Lenses bend light");
    CHECK(a.records[0].label == "Science/Physics/Optics");
    CHECK(contains(a.report.mapping, "text = text; label = label"));

    auto b = read_case(quoted);
    REQUIRE(b.report.ok());
    REQUIRE(b.records.size() == 1);
    CHECK(b.records[0].text == "Prisms split light");
    CHECK(b.records[0].label == "Science/Physics/Optics");
    CHECK(contains(b.report.mapping, "text = text; label = label"));
}

TEST_CASE("C02: RFC 4180 quoting, and an unterminated quote", "[ingest][cases]") {
    HTC_REQUIRE_SHARED(ok, "cases/C02_quoting_ok.csv");
    HTC_REQUIRE_SHARED(broken, "cases/C02_unterminated_quote.csv");
    auto a = read_case(ok);
    REQUIRE(a.records.size() == 2);
    CHECK(a.records[0].text == "Lens, convex\r\nsecond line");
    CHECK(a.records[1].text == "He said \"focus\"");
    CHECK(a.records[1].line == 4);

    // The quote opened on line 2 never closes: that row is rejected with its line, and the
    // next row is read on its own instead of being swallowed into the open field.
    auto b = read_case(broken);
    REQUIRE(b.report.ok());
    REQUIRE(b.report.skipped.size() == 1);
    CHECK(b.report.skipped[0].line == 2);
    CHECK(contains(b.report.skipped[0].reason, "unterminated quote"));
    CHECK(any_warning(b.report, "line 2"));
    REQUIRE(b.records.size() == 1);
    CHECK(b.records[0].text == "next row");
    CHECK(b.records[0].label == "A/C");
    CHECK(b.records[0].line == 3);
}

TEST_CASE("C04: UTF-16LE tab separated, with and without BOM", "[ingest][cases]") {
    HTC_REQUIRE_SHARED(bom, "cases/C04_utf16le_bom.txt");
    HTC_REQUIRE_SHARED(nobom, "cases/C04_utf16le_nobom.csv");
    for (const auto& path : {bom, nobom}) {
        auto r = read_case(path);
        INFO(path);
        REQUIRE(r.report.ok());
        CHECK(r.report.encoding == "utf-16le");
        REQUIRE(r.records.size() == 1);
        CHECK(r.records[0].text == "\xC3\xA9t\xC3\xA9");  // été
        CHECK(r.records[0].label == "A/B");
    }
}

TEST_CASE("C05: CR-only lines, ragged rows, trailing blank lines", "[ingest][cases]") {
    HTC_REQUIRE_SHARED(cr, "cases/C05_cr_only.csv");
    HTC_REQUIRE_SHARED(ragged, "cases/C05_ragged.csv");
    HTC_REQUIRE_SHARED(blank, "cases/C05_trailing_blank_lines.csv");
    auto a = read_case(cr);
    REQUIRE(a.records.size() == 2);
    CHECK(a.records[0].text == "A lens");
    CHECK(a.records[1].text == "A prism");
    CHECK(a.records[1].line == 3);

    // "A lens,Sci/Opt,," maps (its extra fields are empty); "A prism" lacks the label column.
    auto b = read_case(ragged);
    REQUIRE(b.report.ok());
    REQUIRE(b.records.size() == 2);
    CHECK(b.records[0].text == "A lens");
    CHECK(b.records[0].label == "Sci/Opt");
    CHECK(b.records[1].text == "A mirror");
    REQUIRE(b.report.skipped.size() == 1);
    CHECK(b.report.skipped[0].line == 3);
    CHECK(contains(b.report.skipped[0].reason, "1 field(s), expected 2"));

    auto c = read_case(blank);
    REQUIRE(c.report.ok());
    REQUIRE(c.records.size() == 1);
    CHECK(c.report.skipped.empty());
    CHECK(c.report.warnings.empty());
}

TEST_CASE("C07: Windows-1252 bytes decoded by the documented fallback", "[ingest][cases]") {
    HTC_REQUIRE_SHARED(csv, "cases/C07_cp1252.csv");
    HTC_REQUIRE_SHARED(json, "cases/C07_cp1252.json");
    auto a = read_case(csv);
    REQUIRE(a.report.ok());
    CHECK(a.report.encoding == "cp1252");
    CHECK(any_warning(a.report, "Windows-1252"));
    REQUIRE(a.records.size() == 1);
    CHECK(a.records[0].text == "Caf\xC3\xA9 cr\xC3\xA8me \xE2\x80\x93 dessert");
    CHECK(a.records[0].label == "Food/Dessert");

    auto b = read_case(json);
    REQUIRE(b.report.ok());
    CHECK(b.report.encoding == "cp1252");
    CHECK(any_warning(b.report, "offset 12"));
    REQUIRE(b.records.size() == 1);
    CHECK(b.records[0].text == "caf\xC3\xA9");
    CHECK(b.records[0].label == "Food");
}

TEST_CASE("C09: JSON Lines (LF, CRLF with a .json name) and an array agree", "[ingest][cases]") {
    HTC_REQUIRE_SHARED(lf, "cases/C09_jsonl_lf.jsonl");
    HTC_REQUIRE_SHARED(crlf, "cases/C09_jsonl_crlf.json");
    HTC_REQUIRE_SHARED(array, "cases/C09_array.json");
    for (const auto& path : {lf, crlf, array}) {
        INFO(path);
        auto r = read_case(path);
        REQUIRE(r.report.ok());
        CHECK(r.report.skipped.empty());
        REQUIRE(r.records.size() == 2);
        CHECK(r.records[0].text == "Lenses bend light");
        CHECK(r.records[0].label == "Science/Physics/Optics");
        CHECK(r.records[1].text == "Cells divide");
        CHECK(r.records[1].label == "Science/Biology");
    }
    CHECK(read_case(crlf).report.format == "jsonl");
    CHECK(read_case(array).report.format == "json");
}

TEST_CASE("C11: 100000 nested arrays refused quickly", "[ingest][cases]") {
    HTC_REQUIRE_SHARED(deep, "cases/C11_deep.json");
    auto start = std::chrono::steady_clock::now();
    auto r = read_case(deep);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK_FALSE(r.report.ok());
    CHECK(contains(r.report.error, "nested too deeply"));
    CHECK(contains(r.report.error, "C11_deep.json"));
    CHECK(r.records.empty());
    CHECK(seconds < 0.5);
}

TEST_CASE("C13: a PDF without a text layer warns and adds nothing", "[ingest][cases][pdf]") {
    HTC_REQUIRE_SHARED(path, "cases/C13_notext.pdf");
    auto r = read_case(path);
    CHECK(r.report.ok());
    CHECK(any_warning(r.report, "no extractable text"));
    CHECK(r.records.empty());
    CHECK(r.report.records == 0);
}

TEST_CASE("C14: user-password PDF refused, owner-only PDF read", "[ingest][cases][pdf]") {
    HTC_REQUIRE_SHARED(user, "cases/C14_user_password.pdf");
    HTC_REQUIRE_SHARED(owner, "cases/C14_owner_only.pdf");
    auto a = read_case(user);
    CHECK_FALSE(a.report.ok());
    CHECK(contains(a.report.error, "encrypted PDF"));
    CHECK(contains(a.report.error, "C14_user_password.pdf"));
    CHECK(a.records.empty());

    auto b = read_case(owner);
    REQUIRE(b.report.ok());
    REQUIRE(b.records.size() == 1);
    CHECK(b.records[0].text == "Lenses bend light");
}

TEST_CASE("C15: empty, HTML-renamed and cut PDFs refused, repaired and plain PDFs read",
          "[ingest][cases][pdf]") {
    HTC_REQUIRE_SHARED(empty, "cases/C15_empty.pdf");
    HTC_REQUIRE_SHARED(html, "cases/C15_html_renamed.pdf");
    HTC_REQUIRE_SHARED(cut, "cases/C15_cut_mid.pdf");
    HTC_REQUIRE_SHARED(xref, "cases/C15_truncated_xref.pdf");
    HTC_REQUIRE_SHARED(plain, "cases/C15_plain_ok.pdf");

    auto e = read_case(empty);
    CHECK(contains(e.report.error, "C15_empty.pdf: empty file (0 bytes)"));
    auto h = read_case(html);
    CHECK(contains(h.report.error, "C15_html_renamed.pdf: not a PDF"));
    CHECK(contains(h.report.error, "HTML"));
    auto c = read_case(cut);
    CHECK_FALSE(c.report.ok());
    CHECK(contains(c.report.error, "C15_cut_mid.pdf"));
    CHECK(contains(c.report.error, "truncated"));
    for (const auto* r : {&e, &h, &c}) CHECK(r->records.empty());

    for (const auto& path : {xref, plain}) {
        INFO(path);
        auto r = read_case(path);
        REQUIRE(r.report.ok());
        REQUIRE(r.records.size() == 1);
        CHECK(contains(r.records[0].text, "Lenses bend light"));
        CHECK(r.records[0].line == 1);
    }
}

TEST_CASE("C19: blank, unlabelled and single-class TXT files as read", "[ingest][cases]") {
    HTC_REQUIRE_SHARED(blank, "cases/C19_blank_only.txt");
    HTC_REQUIRE_SHARED(unlabeled, "cases/C19_unlabeled.txt");
    HTC_REQUIRE_SHARED(single, "cases/C19_single_class.txt");
    auto a = read_case(blank);
    CHECK(a.report.ok());
    CHECK(a.records.empty());
    CHECK(any_warning(a.report, "no text"));

    auto b = read_case(unlabeled);
    CHECK(b.report.format == "txt-document");
    REQUIRE(b.records.size() == 1);
    CHECK(b.report.labelled == 0);
    CHECK(b.records[0].text == "some words here\nmore words there\n");

    auto c = read_case(single);
    CHECK(c.report.format == "txt-fasttext");
    REQUIRE(c.records.size() == 3);
    CHECK(c.report.labelled == 3);
    for (const auto& r : c.records) CHECK(r.label == "Science/Physics");
    CHECK(c.records[1].text == "mirrors reflect light");
}

TEST_CASE("C21: multi-line texts stay one record, __label__ in text stays text",
          "[ingest][cases]") {
    HTC_REQUIRE_SHARED(path, "cases/C21_multiline.csv");
    auto r = read_case(path);
    REQUIRE(r.report.ok());
    REQUIRE(r.records.size() == 2);
    CHECK(r.records[0].text == "alpha first line\ncontinuation beta gamma");
    CHECK(r.records[0].label == "A");
    CHECK(r.records[1].text == "see the note __label__B in text");
    CHECK(r.records[1].label == "A");
    CHECK(r.records[1].line == 4);
}
