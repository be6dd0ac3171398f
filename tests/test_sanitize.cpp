// Text sanitizer and training-example preparation.
#include <fstream>
#include <sstream>
#include <string>

#include "test_support.h"
#include "text/sanitize.h"

using htc::sanitize_text;
using htc::SanitizeOptions;
using htc::SanitizeStats;

namespace {

std::string clean(const std::string& s, bool case_fold = true, bool mask = true) {
    SanitizeOptions o;
    o.case_fold = case_fold;
    o.mask_pii = mask;
    return sanitize_text(s, o);
}

bool valid_utf8(const std::string& s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const int len = c < 0x80                   ? 1
                        : (c >= 0xC2 && c <= 0xDF) ? 2
                        : (c >= 0xE0 && c <= 0xEF) ? 3
                        : (c >= 0xF0 && c <= 0xF4) ? 4
                                                   : 0;
        if (len == 0 || i + len > s.size()) return false;
        for (int k = 1; k < len; ++k) {
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        }
        i += len;
    }
    return true;
}

htc::Record record(const std::string& text, const std::string& label, std::int64_t order,
                   std::size_t line) {
    htc::Record r;
    r.text = text;
    r.label = label;
    r.source = "feedback.csv";
    r.line = line;
    r.order = order;
    return r;
}

}  // namespace

TEST_CASE("sanitize: NFKC and case folding", "[sanitize]") {
    CHECK(clean("\xEF\xAC\x81ne") == "fine");  // U+FB01 ligature fi
    CHECK(clean("\xEF\xBC\xA8\xEF\xBC\xA5\xEF\xBC\xAC\xEF\xBC\xAC\xEF\xBC\xAF"  // ＨＥＬＬＯ
                "\xE3\x80\x80"                                                  // ideographic space
                "\xEF\xBD\x97\xEF\xBD\x8F\xEF\xBD\x92\xEF\xBD\x8C\xEF\xBD\x84"  // ｗｏｒｌｄ
                "\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93") == "hello world123");   // １２３
    CHECK(clean("Stra\xC3\x9F"
                "e") == "strasse");
    CHECK(clean("Stra\xC3\x9F"
                "e",
                /*case_fold=*/false) ==
          "Stra\xC3\x9F"
          "e");
    CHECK(clean("HeLLo World") == "hello world");
    CHECK(clean("HeLLo World", false) == "HeLLo World");
    // e + combining acute composes, also across the ASCII/non-ASCII boundary.
    CHECK(clean("Cafe\xCC\x81") == "caf\xC3\xA9");
    CHECK(clean("\xC3\x89T\xC3\x89") == "\xC3\xA9t\xC3\xA9");  // ÉTÉ -> été
    CHECK(clean("x\xC2\xB2") == "x2");                         // superscript two (compat)
}

TEST_CASE("sanitize: spaces, controls and zero-width characters", "[sanitize]") {
    CHECK(clean("a\xC2\xA0"
                "b") == "a b");  // NBSP
    CHECK(clean("a\xE2\x80\x83"
                "b\xE1\x9A\x80"
                "c") == "a b c");  // em space, ogham space
    CHECK(clean("a\xE2\x80\xA8"
                "b\xE2\x80\xA9"
                "c") == "a b c");  // U+2028, U+2029
    CHECK(clean("line1\r\nline2\rline3\nline4\tend") == "line1 line2 line3 line4 end");
    CHECK(clean(std::string("nul\0here", 8)) == "nul here");
    CHECK(clean("bell\x07"
                "del\x7F"
                "nel\xC2\x85"
                "x") == "bell del nel x");
    CHECK(clean("pass\xE2\x80\x8Bword") == "password");  // U+200B
    CHECK(clean("soft\xC2\xADhyphen") == "softhyphen");  // U+00AD
    CHECK(clean("\xEF\xBB\xBFstart") == "start");        // U+FEFF
    CHECK(clean("a\xE2\x80\x8C"
                "b\xE2\x80\x8D"
                "c\xE2\x81\xA0"
                "d") == "abcd");
    // Dropped before normalising, so it cannot keep a and U+0301 apart.
    CHECK(clean("a\xE2\x80\x8B\xCC\x81") == "\xC3\xA1");
    CHECK(clean("   lots \t\t of\n\n  spaces   ") == "lots of spaces");
    CHECK(clean(" \t\r\n\xE2\x80\x8B\xC2\xA0 ") == "");
    CHECK(clean("") == "");
}

TEST_CASE("sanitize: invalid UTF-8 becomes U+FFFD", "[sanitize]") {
    const std::string fffd = "\xEF\xBF\xBD";
    CHECK(clean("bad \xFF byte") == "bad " + fffd + " byte");
    CHECK(clean("cut \xE2\x82 off") == "cut " + fffd + " off");  // one per truncated sequence
    CHECK(clean("end \xC3") == "end " + fffd);
    CHECK(clean("\xC0\xAF") == fffd + fffd);             // overlong '/'
    CHECK(clean("\xED\xA0\x80") == fffd + fffd + fffd);  // UTF-16 surrogate
    CHECK(clean("ok \xEF\xBF\xBD kept") == "ok " + fffd + " kept");
    const std::string mixed = "x\xF0\x9F\x98\x80\xF0\x9F\x98 \xC3\xA9\x80y";
    const std::string out = clean(mixed);
    CHECK(valid_utf8(out));
    CHECK(out == "x\xF0\x9F\x98\x80" + fffd + " \xC3\xA9" + fffd + "y");
}

TEST_CASE("sanitize: e-mail, URL and phone masking with counts", "[sanitize]") {
    SanitizeOptions o;
    SanitizeStats st;
    CHECK(sanitize_text("Write to John.Doe@Example.COM, or (ops@mail.example.org).", o, &st) ==
          "write to <email>, or (<email>).");
    CHECK(st.emails == 2);
    CHECK(sanitize_text("see https://example.org/path?q=1. and www.test.co.uk, "
                        "http://x.io/a_(b)) now",
                        o, &st) == "see <url>. and <url>, <url>) now");
    CHECK(st.urls == 3);
    CHECK(sanitize_text("call +1 (555) 123-4567, 555-123-4567, +44 20 7946 0958, "
                        "06 12 34 56 78 or 030/1234567.",
                        o, &st) == "call <phone>, <phone>, <phone>, <phone> or <phone>.");
    CHECK(st.phones == 5);
    CHECK(st.emails == 2);
    CHECK(sanitize_text("+49 (0)30 1234567; 0044 20 7946 0958; tel:+442079460958; "
                        "1-800-555-1234; (030) 1234567; 555.123.4567; 555 123-4567; 030-1234567",
                        o, &st) ==
          "<phone>; <phone>; tel:<phone>; <phone>; <phone>; <phone>; "
          "<phone>; <phone>");
    CHECK(st.phones == 13);
    // An e-mail that starts with digits is an e-mail, not a phone.
    CHECK(sanitize_text("reach 555 1234567@example.com", o, &st) == "reach 555 <email>");
    CHECK(st.emails == 3);
    CHECK(st.phones == 13);
    // Not a URL, an address or a phone.
    CHECK(clean("user@localhost @home a@b the www, x.y@z") ==
          "user@localhost @home a@b the www, x.y@z");
}

TEST_CASE("sanitize: years and ordinary numbers are not phones", "[sanitize]") {
    SanitizeStats st;
    const std::string text =
        "In 1990 pi was 3.14 and 3.1415926; on 2020-01-15 or 15.01.2020, 1990-2000, "
        "1.500.000 people, 12 500 000 votes, host 192.168.1.10, 2019 2020 2021, id 5551234567";
    std::string lower = text;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    CHECK(sanitize_text(text, SanitizeOptions{}, &st) == lower);
    CHECK(st.phones == 0);
    // Shapes found in the WOS and DBpedia abstracts that must stay text.
    const std::string science =
        "95% ci: 1.248-10.395), in 448/8053 (5.56%), go: 0008544, 342 u.s. 246 (1952), "
        "(15760) 1992 qb1, a record of 728-385-8. channel 267/9399, 8200-269200 mi, "
        "1995 2000-2005, isbn 0-12-345678-9";
    CHECK(sanitize_text(science, SanitizeOptions{}, &st) == science);
    CHECK(st.phones == 0);
}

TEST_CASE("sanitize: masking can be turned off", "[sanitize]") {
    SanitizeOptions o;
    o.mask_pii = false;
    SanitizeStats st;
    CHECK(sanitize_text("Mail a.b@example.com or +1 555 123 4567 at https://x.org", o, &st) ==
          "mail a.b@example.com or +1 555 123 4567 at https://x.org");
    CHECK(st.emails + st.urls + st.phones == 0);
    // No stats object is fine too.
    CHECK(sanitize_text("x@example.com", SanitizeOptions{}, nullptr) == "<email>");
}

TEST_CASE("sanitize: the fastText label marker is neutralised", "[sanitize]") {
    CHECK(clean("see the note __label__B in text") == "see the note _label_b in text");
    CHECK(clean("__LABEL__x") == "_label_x");  // case folding creates the marker; still caught
    CHECK(clean("__label__X", false) == "_label_X");
    // Each replacement can form a new marker with the underscores around it; none survives.
    CHECK(clean("___label__x ____label____") == "__label_x _label_");
    for (const std::string s : {"__label____label__", "_\xE2\x80\x8B_label__a", "__label\n__"}) {
        CHECK(clean(s).find("__label__") == std::string::npos);
    }
}

TEST_CASE("sanitize: C21 text with the label marker stays one clean document", "[sanitize][cases]") {
    HTC_REQUIRE_SHARED(path, "cases/C21_multiline.csv");
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string raw = ss.str();
    const auto start = raw.find("see the note");
    REQUIRE(start != std::string::npos);
    const std::string text = raw.substr(start, raw.find('"', start) - start);
    CHECK(clean(text) == "see the note _label_b in text");
}

TEST_CASE("sanitize: output invariants on arbitrary input", "[sanitize]") {
    // Deterministic pseudo-random mixes of the awkward pieces above.
    const char* pieces[] = {"a",
                            "Z",
                            " ",
                            "\t",
                            "\n",
                            "__label__",
                            "_",
                            "@",
                            "x.com",
                            "http://",
                            "www.",
                            "555",
                            "-",
                            "+",
                            "(",
                            ")",
                            "0",
                            "1990",
                            ".",
                            "\xC3\xA9",
                            "\xCC\x81",
                            "\xEF\xAC\x81",
                            "\xE2\x80\x8B",
                            "\xC2\xA0",
                            "\xFF",
                            "\xE2\x82",
                            "\xF0\x9F\x98\x80",
                            "\xE3\x80\x80",
                            "\xC3\x9F",
                            "label"};
    std::uint32_t state = 12345;
    const auto next = [&] { return state = state * 1664525u + 1013904223u; };
    for (int it = 0; it < 3000; ++it) {
        std::string s;
        const int n = static_cast<int>(next() >> 28);
        for (int k = 0; k < n; ++k)
            s += pieces[(next() >> 16) % (sizeof(pieces) / sizeof(*pieces))];
        SanitizeOptions o;
        o.case_fold = it % 2;
        const std::string out = sanitize_text(s, o);
        INFO("input: " << s);
        REQUIRE(valid_utf8(out));
        REQUIRE(out.find("__label__") == std::string::npos);
        REQUIRE(out.find("  ") == std::string::npos);
        REQUIRE((out.empty() || (out.front() != ' ' && out.back() != ' ')));
        REQUIRE(sanitize_text(out, o) == out);  // idempotent: train and predict agree
    }
}

TEST_CASE("prepare_examples: labels, empties, duplicates and conflicts", "[sanitize]") {
    std::vector<htc::Record> records = {
        record("Hello   World", "A/B", 1, 2),
        record("hello world", "A/B", 2, 3),            // exact duplicate after sanitizing
        record("Conflict text", "X/Z", 9, 4),          // newest of its text, though first
        record("CONFLICT  text", "X/Y", 5, 5),         // older, other label: dropped
        record("no label here", "", 3, 6),             // unlabelled
        record("bad label", "Science//Optics", 4, 7),  // rejected label
        record("\xE2\x80\x8B \t", "A", 6, 8),          // nothing left after sanitizing
        record("Another one", " A > B ", 7, 9),
        record("mail me@example.com", "C", 8, 10),
    };
    SanitizeStats st;
    const auto ex = htc::prepare_examples(records, SanitizeOptions{}, st);
    REQUIRE(ex.size() == 4);
    CHECK(ex[0].text == "hello world");
    CHECK(ex[0].label.str() == "A/B");
    CHECK(ex[0].order == 2);  // the newer duplicate is the one kept
    CHECK(ex[0].source == "feedback.csv:3");
    CHECK(ex[1].text == "conflict text");
    CHECK(ex[1].label.str() == "X/Z");
    CHECK(ex[1].order == 9);
    CHECK(ex[1].source == "feedback.csv:4");
    CHECK(ex[2].text == "another one");
    CHECK(ex[2].label.segments == std::vector<std::string>{"A", "B"});
    CHECK(ex[3].text == "mail <email>");
    CHECK(st.duplicates == 1);
    CHECK(st.conflicts == 1);
    CHECK(st.unlabelled == 1);
    CHECK(st.bad_labels == 1);
    CHECK(st.empty == 1);
    CHECK(st.emails == 1);
    REQUIRE(st.notes.size() == 2);
    CHECK(st.notes[0] == "feedback.csv:7: empty segment in label path 'Science//Optics'");
    CHECK(st.notes[1] ==
          "conflicting labels for \"conflict text\": kept 'X/Z' (feedback.csv:4, newer), "
          "dropped 'X/Y' (feedback.csv:5)");
}

TEST_CASE("prepare_examples: equal order keeps the later record, output order is stable",
          "[sanitize]") {
    std::vector<htc::Record> records = {record("b text", "L1", 0, 1), record("a text", "L1", 0, 2),
                                        record("B TEXT", "L2", 0, 3)};
    SanitizeStats st;
    const auto ex = htc::prepare_examples(records, SanitizeOptions{}, st);
    REQUIRE(ex.size() == 2);
    CHECK(ex[0].text == "b text");
    CHECK(ex[0].label.str() == "L2");
    CHECK(ex[1].text == "a text");
    CHECK(st.conflicts == 1);
    const auto again = htc::prepare_examples(records, SanitizeOptions{}, st);
    CHECK(again[0].text == ex[0].text);
    CHECK(again[1].text == ex[1].text);
}
