// Byte-level decoding: BOMs, UTF-16 with and without BOM, the Windows-1252 fallback, and
// replacement of invalid UTF-8.
#include <string>

#include "test_support.h"
#include "text/encoding.h"

using htc::decode_to_utf8;
using htc::is_valid_utf8;
using htc::utf8_replace_invalid;

namespace {

std::string bytes(std::initializer_list<int> b) {
    std::string s;
    for (int c : b) s.push_back(static_cast<char>(c));
    return s;
}

std::string utf16le(const std::u16string& s) {
    std::string out;
    for (char16_t c : s) {
        out.push_back(static_cast<char>(c & 0xFF));
        out.push_back(static_cast<char>(c >> 8));
    }
    return out;
}

std::string utf16be(const std::u16string& s) {
    std::string out;
    for (char16_t c : s) {
        out.push_back(static_cast<char>(c >> 8));
        out.push_back(static_cast<char>(c & 0xFF));
    }
    return out;
}

}  // namespace

TEST_CASE("is_valid_utf8 accepts well-formed text and rejects malformed sequences",
          "[ingest][encoding]") {
    CHECK(is_valid_utf8(""));
    CHECK(is_valid_utf8("plain ASCII text that is longer than eight bytes"));
    CHECK(is_valid_utf8("caf\xC3\xA9 \xE2\x80\x93 \xF0\x9F\x98\x80"));  // é – 😀
    CHECK_FALSE(is_valid_utf8("caf\xE9"));                              // Latin-1 é
    CHECK_FALSE(is_valid_utf8("\xC0\xAF"));                             // overlong '/'
    CHECK_FALSE(is_valid_utf8("\xE0\x80\xAF"));                         // overlong
    CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));                         // UTF-16 surrogate
    CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));                     // above U+10FFFF
    CHECK_FALSE(is_valid_utf8("\xE2\x80"));                             // cut-off sequence
    CHECK_FALSE(is_valid_utf8("abcdefgh\x80"));                         // after the fast path
}

TEST_CASE("decode_to_utf8 drops exactly one UTF-8 BOM", "[ingest][encoding]") {
    auto d = decode_to_utf8(bytes({0xEF, 0xBB, 0xBF, 'h', 'i'}));
    CHECK(d.text == "hi");
    CHECK(d.encoding == "utf-8-bom");
    CHECK(d.warning.empty());

    // A second BOM is content (U+FEFF), not another BOM to strip.
    auto twice = decode_to_utf8(bytes({0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF, 'x'}));
    CHECK(twice.text == "\xEF\xBB\xBFx");

    auto plain = decode_to_utf8(std::string("caf\xC3\xA9"));
    CHECK(plain.text == "caf\xC3\xA9");
    CHECK(plain.encoding == "utf-8");
}

TEST_CASE("decode_to_utf8 reads UTF-16 with a BOM, including surrogate pairs",
          "[ingest][encoding]") {
    std::u16string s = u"\u00e9t\u00e9 \U0001F600";
    auto le = decode_to_utf8(bytes({0xFF, 0xFE}) + utf16le(s));
    CHECK(le.encoding == "utf-16le");
    CHECK(le.text == "\xC3\xA9t\xC3\xA9 \xF0\x9F\x98\x80");
    auto be = decode_to_utf8(bytes({0xFE, 0xFF}) + utf16be(s));
    CHECK(be.encoding == "utf-16be");
    CHECK(be.text == le.text);

    // An unpaired surrogate becomes U+FFFD and is reported; the output stays valid UTF-8.
    auto bad = decode_to_utf8(bytes({0xFF, 0xFE, 'a', 0, 0x00, 0xD8, 'b', 0}));
    CHECK(bad.text ==
          "a\xEF\xBF\xBD"
          "b");
    CHECK(is_valid_utf8(bad.text));
    CHECK_FALSE(bad.warning.empty());
}

TEST_CASE("decode_to_utf8 detects UTF-16 without a BOM from the zero-byte pattern",
          "[ingest][encoding]") {
    auto le = decode_to_utf8(utf16le(u"text\tlabel\r\n\u00e9t\u00e9\tA/B\r\n"));
    CHECK(le.encoding == "utf-16le");
    CHECK(le.text == "text\tlabel\r\n\xC3\xA9t\xC3\xA9\tA/B\r\n");
    auto be = decode_to_utf8(utf16be(u"hello world"));
    CHECK(be.encoding == "utf-16be");
    CHECK(be.text == "hello world");
    // A single NUL in otherwise ASCII text is not the pattern.
    auto one_nul = decode_to_utf8(std::string("abc\0defghijkl", 13));
    CHECK(one_nul.encoding == "utf-8");
}

TEST_CASE("decode_to_utf8 falls back to Windows-1252 for invalid UTF-8", "[ingest][encoding]") {
    // "Café crème – dessert" as Windows-1252 bytes.
    auto d = decode_to_utf8(std::string("Caf\xE9 cr\xE8me \x96 dessert"));
    CHECK(d.encoding == "cp1252");
    CHECK(d.text == "Caf\xC3\xA9 cr\xC3\xA8me \xE2\x80\x93 dessert");
    CHECK(d.invalid_offset == 3);
    CHECK(d.warning.find("offset 3") != std::string::npos);
    CHECK(d.warning.find("Windows-1252") != std::string::npos);

    // 0x80 is the euro sign; an undefined byte (0x81) maps to its C1 control, still valid.
    auto euro = decode_to_utf8(std::string("\x80 5 \x81"));
    CHECK(euro.text == "\xE2\x82\xAC 5 \xC2\x81");
    CHECK(is_valid_utf8(euro.text));

    // Valid UTF-8 around a stray cp1252 byte is kept as UTF-8, not garbled.
    auto mixed = decode_to_utf8(std::string("\xC3\xA9t\xC3\xA9 \x93quoted\x94"));
    CHECK(mixed.encoding == "cp1252");
    CHECK(mixed.text == "\xC3\xA9t\xC3\xA9 \xE2\x80\x9Cquoted\xE2\x80\x9D");
}

TEST_CASE("decode_to_utf8 on a moved buffer gives the same result", "[ingest][encoding]") {
    for (std::string in : {std::string("\xEF\xBB\xBFhello"), std::string("plain"),
                           std::string("caf\xE9"), bytes({0xFF, 0xFE, 'o', 0, 'k', 0})}) {
        auto by_view = decode_to_utf8(std::string_view(in));
        auto by_move = decode_to_utf8(std::string(in));
        CHECK(by_move.text == by_view.text);
        CHECK(by_move.encoding == by_view.encoding);
    }
}

TEST_CASE("utf8_replace_invalid substitutes maximal invalid subparts", "[ingest][encoding]") {
    const std::string fffd = "\xEF\xBF\xBD";
    CHECK(utf8_replace_invalid("ok") == "ok");
    CHECK(utf8_replace_invalid("a\xFF"
                               "b") == "a" + fffd + "b");
    // A truncated 3-byte sequence is one replacement, not two.
    CHECK(utf8_replace_invalid("a\xE2\x80"
                               "b") == "a" + fffd + "b");
    // A lone continuation byte after a valid char.
    CHECK(utf8_replace_invalid("\xC3\xA9\xA9") == "\xC3\xA9" + fffd);
    CHECK(is_valid_utf8(utf8_replace_invalid("\xF0\x9F\x98 \xED\xA0\x80 \xC0\xAF")));
}
