// Byte-level decoding of input files into valid UTF-8.
//
// Decision order in decode_to_utf8 (the README documents it):
//   1. UTF-8 BOM (EF BB BF): exactly one is dropped; the rest is UTF-8.
//   2. UTF-16 BOM (FF FE / FE FF): decoded as UTF-16 LE / BE.
//   3. No BOM, but the zero bytes sit almost only at odd (LE) or even (BE) positions: UTF-16.
//      Real UTF-8 text never contains NUL bytes, so this pattern is unmistakable.
//   4. Valid UTF-8 is passed through.
//   5. Otherwise Windows-1252 is the fallback: every byte that does not start a valid UTF-8
//      sequence is read as a Windows-1252 character, while valid UTF-8 sequences are kept. For
//      a pure cp1252 file this is the plain cp1252 decoding; for a UTF-8 file with a few stray
//      cp1252 bytes (a pasted line) it keeps the UTF-8 text intact instead of garbling it.
#include "text/encoding.h"

#include <cstdint>
#include <cstring>

namespace htc {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when the bytes there are not one
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
inline std::size_t utf8_sequence_length(const unsigned char* s, std::size_t n, std::size_t i) {
    unsigned char c = s[i];
    if (c < 0x80) return 1;
    if (c < 0xC2) return 0;
    if (c < 0xE0) {
        if (i + 1 < n && (s[i + 1] & 0xC0) == 0x80) return 2;
        return 0;
    }
    if (c < 0xF0) {
        if (i + 2 >= n) return 0;
        unsigned char c1 = s[i + 1];
        if ((c1 & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && c1 < 0xA0) return 0;   // overlong
        if (c == 0xED && c1 >= 0xA0) return 0;  // UTF-16 surrogate
        return 3;
    }
    if (c < 0xF5) {
        if (i + 3 >= n) return 0;
        unsigned char c1 = s[i + 1];
        if ((c1 & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80 || (s[i + 3] & 0xC0) != 0x80) return 0;
        if (c == 0xF0 && c1 < 0x90) return 0;   // overlong
        if (c == 0xF4 && c1 >= 0x90) return 0;  // above U+10FFFF
        return 4;
    }
    return 0;
}

// Number of bytes forming the "maximal subpart" of an invalid sequence at s[i] (Unicode's
// recommended practice for U+FFFD substitution): the longest prefix that could still have
// become a valid sequence, at least 1.
inline std::size_t utf8_invalid_length(const unsigned char* s, std::size_t n, std::size_t i) {
    unsigned char c = s[i];
    std::size_t need;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c < 0xE0) {
        need = 1;
    } else if (c >= 0xE0 && c < 0xF0) {
        need = 2;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c < 0xF5) {
        need = 3;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 1;
    }
    std::size_t len = 1;
    for (std::size_t k = 0; k < need && i + len < n; ++k) {
        unsigned char b = s[i + len];
        if (k == 0 ? (b < lo || b > hi) : (b & 0xC0) != 0x80) break;
        ++len;
    }
    return len;
}

inline void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

constexpr std::uint32_t kReplacement = 0xFFFD;

// Windows-1252 bytes 0x80..0x9F. The five bytes Microsoft leaves undefined (81 8D 8F 90 9D)
// map to the C1 controls of the same value, as Windows and the WHATWG decoder do.
constexpr std::uint16_t kCp1252High[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

inline std::uint32_t cp1252_to_codepoint(unsigned char b) {
    if (b >= 0x80 && b < 0xA0) return kCp1252High[b - 0x80];
    return b;
}

// Index of the first byte that is not part of valid UTF-8, or npos when all is valid.
std::size_t first_invalid_utf8(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        // ASCII fast path, 8 bytes at a time.
        while (i + 8 <= n) {
            std::uint64_t w;
            std::memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080ull) break;
            i += 8;
        }
        if (i >= n) break;
        if (p[i] < 0x80) {
            ++i;
            continue;
        }
        std::size_t len = utf8_sequence_length(p, n, i);
        if (len == 0) return i;
        i += len;
    }
    return std::string_view::npos;
}

std::string decode_utf16(std::string_view bytes, bool little_endian, std::size_t* bad_units) {
    std::string out;
    out.reserve(bytes.size() / 2 + bytes.size() / 8);
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t units = bytes.size() / 2;
    auto unit = [&](std::size_t k) -> std::uint32_t {
        return little_endian ? (p[2 * k] | (p[2 * k + 1] << 8)) : ((p[2 * k] << 8) | p[2 * k + 1]);
    };
    for (std::size_t k = 0; k < units; ++k) {
        std::uint32_t u = unit(k);
        if (u >= 0xD800 && u <= 0xDBFF) {
            if (k + 1 < units) {
                std::uint32_t lo = unit(k + 1);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    append_utf8(out, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
                    ++k;
                    continue;
                }
            }
            append_utf8(out, kReplacement);
            ++*bad_units;
        } else if (u >= 0xDC00 && u <= 0xDFFF) {
            append_utf8(out, kReplacement);
            ++*bad_units;
        } else {
            append_utf8(out, u);
        }
    }
    if (bytes.size() % 2) {  // a cut-off last unit
        append_utf8(out, kReplacement);
        ++*bad_units;
    }
    return out;
}

// 'L' or 'B' when the NUL-byte pattern of a BOM-less sample says UTF-16 LE / BE, else 0.
char sniff_utf16(std::string_view bytes) {
    const std::size_t sample = std::min<std::size_t>(bytes.size(), 1 << 16) & ~std::size_t{1};
    if (sample < 4) return 0;
    std::size_t zero_even = 0, zero_odd = 0;
    for (std::size_t i = 0; i < sample; i += 2) {
        zero_even += bytes[i] == '\0';
        zero_odd += bytes[i + 1] == '\0';
    }
    const std::size_t pairs = sample / 2;
    // Mostly-Latin text in UTF-16 has a zero in nearly every high byte; other scripts (CJK)
    // have fewer, but line breaks, spaces and digits still give a clear share. The other
    // position must be (almost) free of zeros, which rules out binary files.
    auto clear = [&](std::size_t zeros_high, std::size_t zeros_low) {
        return zeros_high * 10 >= pairs * 3 && zeros_low * 50 <= pairs;
    };
    if (clear(zero_odd, zero_even)) return 'L';
    if (clear(zero_even, zero_odd)) return 'B';
    return 0;
}

}  // namespace

bool is_valid_utf8(std::string_view s) { return first_invalid_utf8(s) == std::string_view::npos; }

DecodedText decode_to_utf8(std::string&& bytes) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t n = bytes.size();
    const bool bom8 = n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF;
    const bool bom16 = n >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF));
    if (!bom16 && !sniff_utf16(bytes)) {
        std::string_view body = std::string_view(bytes).substr(bom8 ? 3 : 0);
        if (is_valid_utf8(body)) {
            DecodedText r;
            r.encoding = bom8 ? "utf-8-bom" : "utf-8";
            if (bom8) bytes.erase(0, 3);
            r.text = std::move(bytes);
            return r;
        }
    }
    return decode_to_utf8(std::string_view(bytes));
}

std::string utf8_replace_invalid(std::string_view s) {
    std::size_t bad = first_invalid_utf8(s);
    if (bad == std::string_view::npos) return std::string(s);
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    std::string out;
    out.reserve(n + 16);
    out.append(s.data(), bad);
    std::size_t i = bad;
    while (i < n) {
        std::size_t len = utf8_sequence_length(p, n, i);
        if (len) {
            out.append(s.data() + i, len);
            i += len;
        } else {
            append_utf8(out, kReplacement);
            i += utf8_invalid_length(p, n, i);
        }
    }
    return out;
}

DecodedText decode_to_utf8(std::string_view bytes) {
    DecodedText r;
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t n = bytes.size();

    auto finish_utf16 = [&](std::string_view body, bool le, const char* name) {
        std::size_t bad = 0;
        r.text = decode_utf16(body, le, &bad);
        r.encoding = name;
        if (bad) {
            r.warning = "invalid UTF-16 (" + std::to_string(bad) +
                        " unpaired surrogate or cut-off unit(s) replaced with U+FFFD)";
        }
        return r;
    };

    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
        std::string_view body = bytes.substr(3);
        r.encoding = "utf-8-bom";
        std::size_t bad = first_invalid_utf8(body);
        if (bad == std::string_view::npos) {
            r.text = std::string(body);
        } else {
            // The BOM declares UTF-8, so invalid bytes are damage, not another encoding.
            r.text = utf8_replace_invalid(body);
            r.invalid_offset = bad + 3;
            r.warning = "invalid UTF-8 at byte offset " + std::to_string(bad + 3) +
                        " despite the UTF-8 BOM; invalid bytes were replaced with U+FFFD";
        }
        return r;
    }
    if (n >= 2 && p[0] == 0xFF && p[1] == 0xFE)
        return finish_utf16(bytes.substr(2), true, "utf-16le");
    if (n >= 2 && p[0] == 0xFE && p[1] == 0xFF)
        return finish_utf16(bytes.substr(2), false, "utf-16be");
    if (char bo = sniff_utf16(bytes))
        return finish_utf16(bytes, bo == 'L', bo == 'L' ? "utf-16le" : "utf-16be");

    std::size_t bad = first_invalid_utf8(bytes);
    if (bad == std::string_view::npos) {
        r.text = std::string(bytes);
        r.encoding = "utf-8";
        return r;
    }

    r.encoding = "cp1252";
    r.invalid_offset = bad;
    r.text.reserve(n + n / 4);
    r.text.append(bytes.data(), bad);
    std::size_t i = bad, fallback_bytes = 0;
    while (i < n) {
        std::size_t len = utf8_sequence_length(p, n, i);
        if (len) {
            r.text.append(bytes.data() + i, len);
            i += len;
        } else {
            append_utf8(r.text, cp1252_to_codepoint(p[i]));
            ++fallback_bytes;
            ++i;
        }
    }
    r.warning = "not valid UTF-8 (first invalid byte at offset " + std::to_string(bad) + "); " +
                std::to_string(fallback_bytes) + " byte(s) decoded as Windows-1252";
    return r;
}

}  // namespace htc
