// Feedback-file readers on files written by the tests, plus the real data in ../shared/data.
#include <fstream>
#include <map>
#include <set>

#include "ingest/ingest.h"
#include "progress.h"
#include "test_support.h"
#include "text/encoding.h"

using namespace htc;

namespace {

struct Read {
    FileReport report;
    std::vector<Record> records;
};

void write_file(const std::filesystem::path& p, const std::string& content) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream f(p, std::ios::binary);
    f << content;
}

Read read_text(const std::string& name, const std::string& content, const IngestOptions& opts = {},
               const std::string& folder_label = "") {
    test::TempDir dir;
    auto path = dir / name;
    write_file(path, content);
    Read r;
    r.report = ingest_file(path.string(), opts, r.records, folder_label);
    return r;
}

bool contains(const std::string& hay, const std::string& needle) {
    return hay.find(needle) != std::string::npos;
}

}  // namespace

// ---- CSV / TSV -------------------------------------------------------------------------------

TEST_CASE("CSV: header by known names, RFC 4180 quoting, line numbers", "[ingest][csv]") {
    auto r = read_text("a.csv",
                       "Label,Text\n"
                       "A/B,\"one, with comma\"\n"
                       "A/C,\"two\r\nlines with \"\"quotes\"\"\"\n"
                       "B,plain\n");
    REQUIRE(r.report.ok());
    CHECK(r.report.format == "csv");
    REQUIRE(r.records.size() == 3);
    CHECK(r.records[0].text == "one, with comma");
    CHECK(r.records[0].label == "A/B");
    CHECK(r.records[0].line == 2);
    CHECK(r.records[1].text == "two\r\nlines with \"quotes\"");
    CHECK(r.records[1].line == 3);
    CHECK(r.records[2].text == "plain");
    CHECK(r.records[2].line == 5);
    CHECK(r.records[2].order == 2);
    CHECK(r.report.records == 3);
    CHECK(r.report.labelled == 3);
    CHECK(contains(r.report.mapping, "text = Text"));
}

TEST_CASE("CSV: delimiter sniffing among comma, semicolon, TAB and pipe", "[ingest][csv]") {
    for (char d : {',', ';', '\t', '|'}) {
        std::string sep(1, d);
        std::string body =
            "text" + sep + "label\n" + "\"a, b; c | d\"" + sep + "X\n" + "second row" + sep + "Y\n";
        auto r = read_text("s.csv", body);
        INFO("delimiter " << int(d));
        REQUIRE(r.records.size() == 2);
        CHECK(r.records[0].text == "a, b; c | d");
        CHECK(r.records[0].label == "X");
        CHECK(r.records[1].label == "Y");
    }
    // Semicolon CSV with decimal commas: the consistent delimiter wins.
    auto eu = read_text("eu.csv", "text;label;score\nfirst;A;3,5\nsecond;B;4,25\n");
    REQUIRE(eu.records.size() == 2);
    CHECK(eu.records[1].text == "second");
    CHECK(eu.records[1].label == "B");
}

TEST_CASE("CSV: level columns joined into a path, trimmed, empty levels dropped", "[ingest][csv]") {
    auto r = read_text("levels.csv",
                       "Cat1,Cat2,Cat3,description\n"
                       " Science , Physics ,Optics,lenses bend light\n"
                       "Science,Biology,,cells divide\n");
    REQUIRE(r.records.size() == 2);
    CHECK(r.records[0].label == "Science/Physics/Optics");
    CHECK(r.records[0].text == "lenses bend light");
    CHECK(r.records[1].label == "Science/Biology");

    IngestOptions o;
    o.label_sep = " > ";
    auto sep = read_text("levels.csv", "l2,l1,text\nPhysics,Science,lenses\n", o);
    REQUIRE(sep.records.size() == 1);
    CHECK(sep.records[0].label == "Science > Physics");  // ordered by level number
}

TEST_CASE("CSV: headerless file, text and labels detected by content", "[ingest][csv]") {
    std::string body;
    const char* classes[] = {"Agent,Person,Judge", "Place,Building,Church", "Work,Film,Movie"};
    for (int i = 0; i < 30; ++i) {
        body += "\"Document number " + std::to_string(i) +
                " is a longer piece of text, with commas, that describes something.\"," +
                classes[i % 3] + "\r\n";
    }
    auto r = read_text("nohead.csv", body);
    REQUIRE(r.report.ok());
    REQUIRE(r.records.size() == 30);  // the first row is data, not a header
    CHECK(r.records[0].label == "Agent/Person/Judge");
    CHECK(r.records[0].line == 1);
    CHECK(r.records[1].label == "Place/Building/Church");
    CHECK(contains(r.records[29].text, "Document number 29"));
    CHECK(contains(r.report.mapping, "no header row"));
}

TEST_CASE("CSV: header detected by kind, numeric id columns are not labels", "[ingest][csv]") {
    std::string body = "id,words,tag\n";
    for (int i = 0; i < 10; ++i) {
        body += std::to_string(100 + i) + ",some words that make up a sentence number " +
                std::to_string(i) + "," + (i % 2 ? "odd" : "even") + "\n";
    }
    auto r = read_text("kind.csv", body);
    REQUIRE(r.records.size() == 10);
    CHECK(r.records[0].text == "some words that make up a sentence number 0");
    // "tag" is no known label name: the reader says so rather than guessing.
    CHECK(r.records[0].label.empty());
    CHECK(r.report.labelled == 0);
    REQUIRE_FALSE(r.report.warnings.empty());

    IngestOptions o;
    o.label_cols = "tag";
    auto named = read_text("kind.csv", body, o);
    REQUIRE(named.records.size() == 10);
    CHECK(named.records[1].label == "odd");
}

TEST_CASE("CSV: user overrides by name and 1-based position", "[ingest][csv]") {
    const std::string body = "a,b,c,d\nx1,text one,L1,L2\nx2,text two,M1,M2\n";
    IngestOptions o;
    o.text_col = "2";
    o.label_cols = "c, 4";
    auto r = read_text("o.csv", body, o);
    REQUIRE(r.report.ok());
    REQUIRE(r.records.size() == 2);
    CHECK(r.records[0].text == "text one");
    CHECK(r.records[0].label == "L1/L2");

    o.text_col = "nope";
    auto bad = read_text("o.csv", body, o);
    CHECK_FALSE(bad.report.ok());
    CHECK(contains(bad.report.error, "column 'nope' not found"));
    CHECK(contains(bad.report.error, "o.csv"));
    CHECK(bad.records.empty());

    o.text_col = "9";
    auto range = read_text("o.csv", body, o);
    CHECK(contains(range.report.error, "out of range"));
}

TEST_CASE("CSV: ragged rows, empty text and field limit are per-row skips", "[ingest][csv]") {
    IngestOptions o;
    o.max_field_bytes = 20;
    auto r = read_text("r.csv",
                       "text,label\n"
                       "ok one,A\n"
                       "too,many,fields\n"
                       "lonely\n"
                       ",B\n"
                       "this text is far longer than twenty bytes,C\n"
                       "ok two,A,,\n",
                       o);
    REQUIRE(r.report.ok());
    REQUIRE(r.records.size() == 2);
    CHECK(r.records[0].text == "ok one");
    CHECK(r.records[1].text == "ok two");  // extra empty trailing fields are harmless
    CHECK(r.records[1].line == 7);
    REQUIRE(r.report.skipped.size() == 4);
    CHECK(r.report.skipped[0].line == 3);
    CHECK(contains(r.report.skipped[0].reason, "3 fields, expected 2"));
    CHECK(r.report.skipped[1].line == 4);
    CHECK(r.report.skipped[2].line == 5);
    CHECK(r.report.skipped[2].reason == "empty text");
    CHECK(r.report.skipped[3].line == 6);
    CHECK(contains(r.report.skipped[3].reason, "max_field_bytes"));
}

TEST_CASE("CSV: an unclosed quote skips its row and later rows still load", "[ingest][csv]") {
    auto r = read_text("q.csv",
                       "text,label\n"
                       "fine,A\n"
                       "\"broken, never closed,B\n"
                       "after,C\n"
                       "also after,D\n");
    REQUIRE(r.report.ok());
    REQUIRE(r.records.size() == 3);
    CHECK(r.records[1].text == "after");
    CHECK(r.records[2].label == "D");
    REQUIRE(r.report.skipped.size() == 1);
    CHECK(r.report.skipped[0].line == 3);
    CHECK(contains(r.report.skipped[0].reason, "unterminated quote"));
}

TEST_CASE("CSV: many skipped rows are capped in the list and counted", "[ingest][csv]") {
    std::string body = "text,label\n";
    for (int i = 0; i < 1500; ++i) body += "a,b,c\n";
    body += "good,A\n";
    auto r = read_text("many.csv", body);
    CHECK(r.records.size() == 1);
    CHECK(r.report.skipped.size() == 1000);
    bool counted = false;
    for (const auto& w : r.report.warnings) counted |= contains(w, "1500 rows skipped");
    CHECK(counted);
}

TEST_CASE("TSV: quoted fields and a Windows-1252 file", "[ingest][csv]") {
    auto r = read_text("w.tsv", "Abstract\tTopic\n\"tab\tinside\"\tT\nna\xEFve\tU\n");
    REQUIRE(r.records.size() == 2);
    CHECK(r.report.format == "tsv");
    CHECK(r.report.encoding == "cp1252");
    CHECK(r.records[0].text == "tab\tinside");
    CHECK(r.records[1].text == "na\xC3\xAFve");
    CHECK(r.records[1].label == "U");
    CHECK(is_valid_utf8(r.records[1].text));
}

// ---- JSON ----------------------------------------------------------------------------------

TEST_CASE("JSON: object holding the list, label forms, line numbers", "[ingest][json]") {
    auto r = read_text("d.json",
                       "{\"meta\": {\"n\": 3},\n"
                       " \"records\": [\n"
                       "  {\"Body\": \"first\", \"label\": \"A/B\"},\n"
                       "  {\"Body\": \"second\", \"label\": [\"A\", \" C \"]},\n"
                       "  {\"Body\": \"third\", \"level1\": \"X\", \"level2\": \"Y\"},\n"
                       "  {\"Body\": [\"para one\", \"para two\"]},\n"
                       "  {\"label\": \"no text\"},\n"
                       "  7\n"
                       "]}\n");
    REQUIRE(r.report.ok());
    CHECK(r.report.format == "json");
    REQUIRE(r.records.size() == 4);
    CHECK(r.records[0].text == "first");
    CHECK(r.records[0].label == "A/B");
    CHECK(r.records[0].line == 3);
    CHECK(r.records[1].label == "A/C");
    CHECK(r.records[2].label == "X/Y");
    CHECK(r.records[2].line == 5);
    CHECK(r.records[3].text == "para one\npara two");
    CHECK(r.records[3].label.empty());
    CHECK(r.report.labelled == 3);
    REQUIRE(r.report.skipped.size() == 2);
    CHECK(r.report.skipped[0].line == 7);
    CHECK(contains(r.report.skipped[0].reason, "no text field"));
    CHECK(r.report.skipped[1].line == 8);
    CHECK(contains(r.report.skipped[1].reason, "not a JSON object"));
    CHECK(contains(r.report.mapping, "records"));
}

TEST_CASE("JSON: syntax errors name line and column", "[ingest][json]") {
    auto r =
        read_text("bad.json", "[\n  {\"text\": \"a\", \"label\": \"b\"},\n  {\"text\": }\n]\n");
    CHECK_FALSE(r.report.ok());
    CHECK(contains(r.report.error, "bad.json"));
    CHECK(contains(r.report.error, "invalid JSON at line 3, column 12"));
    CHECK(r.records.empty());
}

TEST_CASE("JSON Lines: bad lines are skipped with their number", "[ingest][json]") {
    auto r = read_text("l.jsonl",
                       "{\"text\": \"one\", \"category\": \"A\"}\n"
                       "\n"
                       "{\"text\": broken}\n"
                       "{\"content\": \"two\", \"category\": \"B\"}\r\n");
    REQUIRE(r.report.ok());
    CHECK(r.report.format == "jsonl");
    REQUIRE(r.records.size() == 2);
    CHECK(r.records[1].text == "two");
    CHECK(r.records[1].label == "B");
    CHECK(r.records[1].line == 4);
    REQUIRE(r.report.skipped.size() == 1);
    CHECK(r.report.skipped[0].line == 3);
    CHECK(contains(r.report.skipped[0].reason, "invalid JSON"));
}

TEST_CASE("JSON: depth limit is enforced before parsing", "[ingest][json]") {
    IngestOptions o;
    o.max_json_depth = 3;
    auto ok = read_text("d.json", "[{\"text\": \"t\", \"label\": [\"a\"]}]", o);
    CHECK(ok.report.ok());
    CHECK(ok.records.size() == 1);
    auto deep = read_text("d.json", "[{\"text\": \"t\", \"label\": [[\"a\"]]}]", o);
    CHECK_FALSE(deep.report.ok());
    CHECK(contains(deep.report.error, "nested too deeply"));
    CHECK(contains(deep.report.error, "column 26"));
    // Brackets inside strings do not count.
    auto str = read_text("s.json", "[{\"text\": \"[[[[[[\", \"label\": \"x\"}]", o);
    CHECK(str.report.ok());
}

// ---- TXT -----------------------------------------------------------------------------------

TEST_CASE("TXT: fastText lines, several labels take the first", "[ingest][txt]") {
    auto r = read_text("f.txt",
                       "__label__Science/Physics lenses bend light\n"
                       "__label__A __label__B two labels\n"
                       "__label__A __label__A/B/C deeper path wins\n"
                       "no label here but text with __label__X inside\n");
    REQUIRE(r.report.ok());
    CHECK(r.report.format == "txt-fasttext");
    REQUIRE(r.records.size() == 4);
    CHECK(r.records[0].label == "Science/Physics");
    CHECK(r.records[0].text == "lenses bend light");
    CHECK(r.records[1].label == "A");
    CHECK(r.records[1].text == "two labels");
    CHECK(r.records[2].label == "A/B/C");
    CHECK(r.records[3].label.empty());
    CHECK(r.records[3].text == "no label here but text with __label__X inside");
    CHECK(r.records[3].line == 4);
    REQUIRE(r.report.warnings.size() == 1);
    CHECK(contains(r.report.warnings[0], "several __label__"));
}

TEST_CASE("TXT: label<TAB>text lines", "[ingest][txt]") {
    auto r = read_text("t.txt",
                       "Sport\tThe match ended \"late\"\r\nPolitics\tVotes counted\r\nnotab\r\n"
                       "Tech\tChips shrink\r\n");
    CHECK(r.report.format == "txt-tabbed");
    REQUIRE(r.records.size() == 3);
    CHECK(r.records[0].label == "Sport");
    CHECK(r.records[0].text == "The match ended \"late\"");
    CHECK(r.records[2].line == 4);
    REQUIRE(r.report.skipped.size() == 1);
    CHECK(r.report.skipped[0].line == 3);
}

TEST_CASE("TXT: a plain file is one document labelled by its folder", "[ingest][txt]") {
    auto r = read_text("doc.txt", "Headline\n\nFirst paragraph.\nSecond.\n", {}, "news/tech");
    CHECK(r.report.format == "txt-document");
    REQUIRE(r.records.size() == 1);
    CHECK(r.records[0].text == "Headline\n\nFirst paragraph.\nSecond.\n");
    CHECK(r.records[0].label == "news/tech");
    CHECK(r.report.labelled == 1);
}

// ---- Dispatcher and folders ----------------------------------------------------------------

TEST_CASE("ingest_file: size limit checked first, unknown types and missing files", "[ingest]") {
    IngestOptions o;
    o.max_file_size = 10;
    auto big = read_text("big.csv", "text,label\nabc,A\n", o);
    CHECK_FALSE(big.report.ok());
    CHECK(
        contains(big.report.error, "big.csv: file is 17 bytes, larger than the limit of 10 bytes"));
    CHECK(big.report.size_bytes == 17);

    auto doc = read_text("x.docx", "PK...");
    CHECK(contains(doc.report.error, "unsupported file type '.docx'"));

    std::vector<Record> out;
    auto missing = ingest_file("/nonexistent/dir/f.csv", {}, out);
    CHECK(contains(missing.error, "/nonexistent/dir/f.csv: file not found"));
    CHECK(out.empty());
}

TEST_CASE("ingest_paths: folders recursive, sorted, hidden skipped, folder labels, order",
          "[ingest]") {
    test::TempDir dir;
    auto root = dir / "drop";
    write_file(root / "b_class" / "2.txt", "second b");
    write_file(root / "b_class" / "1.txt", "first b");
    write_file(root / "a_class" / "deep" / "x.txt", "deep a");
    write_file(root / "a_class" / ".hidden.txt", "hidden");
    write_file(root / ".git" / "config.txt", "hidden folder");
    write_file(root / "a_class" / "notes.docx", "binary");
    write_file(root / "top.csv", "text,label\nown label,Z\nfolder none,\n");
    write_file(dir / "single.jsonl", "{\"text\": \"last\", \"label\": \"L\"}\n");

    auto res = ingest_paths({(root.string() + "/"), (dir / "single.jsonl").string()}, {});
    REQUIRE(res.records.size() == 6);
    std::vector<std::string> texts, labels;
    for (const auto& r : res.records) {
        texts.push_back(r.text);
        labels.push_back(r.label);
    }
    CHECK(texts == std::vector<std::string>{"deep a", "first b", "second b", "own label",
                                            "folder none", "last"});
    // The sub-folder path is the label; a label in the file wins; directly in the dropped
    // folder there is no folder label.
    CHECK(labels == std::vector<std::string>{"a_class/deep", "b_class", "b_class", "Z", "", "L"});
    for (std::size_t i = 0; i < res.records.size(); ++i)
        CHECK(res.records[i].order == static_cast<std::int64_t>(i));

    // One report per file, the unsupported one listed with a warning and not fatal.
    bool docx_listed = false;
    for (const auto& f : res.files) {
        CHECK(f.ok());
        CHECK_FALSE(contains(f.path, "hidden"));
        CHECK_FALSE(contains(f.path, ".git"));
        if (contains(f.path, "notes.docx")) {
            docx_listed = true;
            REQUIRE(f.warnings.size() == 1);
            CHECK(contains(f.warnings[0], "unsupported file type"));
        }
    }
    CHECK(docx_listed);
    CHECK(res.files.size() == 6);
}

TEST_CASE("ingest_paths: cancel flag stops between files", "[ingest]") {
    test::TempDir dir;
    write_file(dir / "a.txt", "a");
    std::atomic<bool> cancel{true};
    CHECK_THROWS_AS(ingest_paths({dir.str()}, {}, &cancel), Cancelled);
}

// ---- Real data in ../shared/data -------------------------------------------------------------

TEST_CASE("real data: dbpedia CSV without header, 3-level labels", "[ingest][data]") {
    HTC_REQUIRE_SHARED(path, "data/dbpedia/dbpedia-classes-2500.csv");
    std::vector<Record> out;
    auto rep = ingest_file(path, {}, out);
    REQUIRE(rep.ok());
    CHECK(rep.records == 2500);
    CHECK(rep.labelled == 2500);
    REQUIRE(out.size() == 2500);
    CHECK(out[0].label == "Agent/Politician/Senator");
    CHECK(out[0].text.rfind("William Alexander Massey (October 7, 1856", 0) == 0);
    CHECK(out[0].line == 1);
    std::set<std::string> l1;
    for (const auto& r : out) {
        REQUIRE(std::count(r.label.begin(), r.label.end(), '/') == 2);
        l1.insert(r.label.substr(0, r.label.find('/')));
    }
    CHECK(l1.size() == 9);
    CHECK(out[1].label == "Work/MusicalWork/Album");
    CHECK(contains(out[1].text, "\\\"memorable\\\""));  // \"" in the file: backslash + quote
}

TEST_CASE("real data: WOS TSV, label Domain/area trimmed, text Abstract", "[ingest][data]") {
    HTC_REQUIRE_SHARED(path, "data/wos/wos-700.tsv");
    std::vector<Record> out;
    auto rep = ingest_file(path, {}, out);
    REQUIRE(rep.ok());
    CHECK(rep.format == "tsv");
    CHECK(rep.records == 700);
    CHECK(rep.labelled == 700);
    REQUIRE(out.size() == 700);
    CHECK(out[0].label == "Medical/Senior Health");
    CHECK(out[0].text.rfind("This paper investigates the research productivity", 0) == 0);
    CHECK(out[1].label == "CS/Parallel computing");
    std::set<std::string> domains;
    for (const auto& r : out) {
        REQUIRE(std::count(r.label.begin(), r.label.end(), '/') == 1);
        CHECK(r.label.front() != ' ');
        CHECK(r.label.back() != ' ');
        CHECK(r.label.find(" /") == std::string::npos);
        CHECK(r.label.find("/ ") == std::string::npos);
        domains.insert(r.label.substr(0, r.label.find('/')));
    }
    CHECK(domains.size() == 7);
    CHECK(domains.count("Medical") == 1);
    // The area "HIV/AIDS" holds the separator: it stays one level.
    CHECK(out[213].line == 215);
    CHECK(out[213].label == "Medical/HIV-AIDS");
    REQUIRE(rep.warnings.size() == 1);
    CHECK(rep.warnings[0].find("5 label level value(s) contained the separator '/'") !=
          std::string::npos);
}

TEST_CASE("real data: BBC folder, 200 documents, 5 folder labels", "[ingest][data]") {
    HTC_REQUIRE_SHARED(path, "data/bbc");
    auto res = ingest_paths({path}, {});
    REQUIRE(res.records.size() == 200);
    std::map<std::string, int> per_label;
    for (const auto& r : res.records) ++per_label[r.label];
    CHECK(per_label.size() == 5);
    CHECK(per_label.count("business") == 1);
    CHECK(per_label.count("tech") == 1);
    for (const auto& f : res.files) {
        CHECK(f.ok());
        CHECK(f.format == "txt-document");
    }
    // Sorted walk: business/001.txt comes first.
    CHECK(contains(res.records[0].source, "business/001.txt"));
    CHECK(res.records[0].label == "business");
}

TEST_CASE("real data: PDF folder, 10 documents labelled humanities/<topic>",
          "[ingest][data][pdf]") {
    HTC_REQUIRE_SHARED(path, "data/pdf");
    auto res = ingest_paths({path + "/"}, {});
    REQUIRE(res.records.size() == 10);
    std::set<std::string> labels;
    for (const auto& r : res.records) {
        CHECK(r.label.rfind("humanities/", 0) == 0);
        CHECK(std::count(r.label.begin(), r.label.end(), '/') == 1);
        CHECK(r.text.size() > 1000);
        CHECK(is_valid_utf8(r.text));
        labels.insert(r.label);
    }
    CHECK(labels ==
          std::set<std::string>{"humanities/drama", "humanities/linguistics", "humanities/poetry"});
    for (const auto& f : res.files) CHECK(f.format == "pdf");
}

TEST_CASE("PDF: page limit refuses the file with a clear message", "[ingest][pdf]") {
    HTC_REQUIRE_SHARED(path, "data/pdf/humanities/linguistics/gb4e-doc.pdf");
    IngestOptions o;
    o.max_pdf_pages = 2;
    std::vector<Record> out;
    auto rep = ingest_file(path, o, out);
    CHECK_FALSE(rep.ok());
    CHECK(contains(rep.error, "gb4e-doc.pdf: the PDF has 9 pages, more than the limit of 2"));
    CHECK(out.empty());

    o.max_pdf_pages = 2000;
    auto full = ingest_file(path, o, out);
    REQUIRE(full.ok());
    REQUIRE(out.size() == 1);
    CHECK(contains(out[0].text, "Linguistic examples in LATEX"));
    CHECK(contains(out[0].text, "\\begin{exe}"));
}

TEST_CASE("readers survive random structured input", "[ingest][fuzz]") {
    // Inputs made of the characters that drive the parsers (quotes, delimiters, brackets,
    // line breaks, invalid bytes): the readers must neither throw nor emit invalid UTF-8, and
    // the report must agree with the records.
    std::mt19937 rng(12345);
    const std::string alphabet = "\"\",;\t|\r\n\n[]{}:\\ab__label__ \x80\xC3\xE9\xFF{\"text\":";
    test::TempDir dir;
    IngestOptions o;
    o.max_json_depth = 8;
    for (int i = 0; i < 300; ++i) {
        std::string content;
        std::size_t len = rng() % 200;
        for (std::size_t k = 0; k < len; ++k) content += alphabet[rng() % alphabet.size()];
        for (const char* ext : {".csv", ".json", ".txt", ".tsv"}) {
            auto path = dir / ("f" + std::to_string(i) + ext);
            write_file(path, content);
            std::vector<Record> out;
            FileReport rep = ingest_file(path.string(), o, out);
            INFO("input " << i << ext);
            REQUIRE(rep.records == out.size());
            for (const auto& r : out) {
                REQUIRE(is_valid_utf8(r.text));
                REQUIRE(is_valid_utf8(r.label));
                REQUIRE(r.line >= 1);
            }
            REQUIRE(is_valid_utf8(rep.error));
            for (const auto& w : rep.warnings) REQUIRE(is_valid_utf8(w));
            for (const auto& s : rep.skipped) REQUIRE(is_valid_utf8(s.reason));
        }
    }
}
