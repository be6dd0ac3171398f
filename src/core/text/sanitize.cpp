#include "text/sanitize.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <unordered_map>

namespace htc {

namespace {

// ---------------------------------------------------------------------------------------------
// Normalisation: NFKC + case folding + spaces + zero-width characters, in one pass.
//
// ASCII bytes are handled inline (NFKC is the identity on ASCII and case folding is tolower).
// Each maximal run of non-ASCII bytes goes through utf8proc together with the ASCII character
// just before it: that character may be the base of a combining mark at the start of the run
// ("e" + U+0301 -> "é"). Splitting before an ASCII character is safe for NFKC, because ASCII
// characters are starters that never compose with what precedes them. Mostly-English text
// therefore costs one byte loop, and utf8proc never allocates (we use thread-local buffers).
//
// utf8proc options: STABLE | COMPOSE | COMPAT (= NFKC) and CASEFOLD, nothing else. IGNORE
// would also delete other default-ignorable characters, STRIPCC deletes controls instead of
// turning them into word breaks ("a\nb" must stay two words), NLF2* would keep line breaks,
// LUMP rewrites dashes and quotes, STRIPMARK removes accents ("été" is not "ete").
// ---------------------------------------------------------------------------------------------

constexpr char32_t kReplacement = 0xFFFD;

// Characters that render as nothing: dropped so "pass\u200Bword" is "password".
bool is_zero_width(char32_t cp) {
    return cp == 0x00AD || (cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || cp == 0xFEFF;
}

// Non-ASCII code points that become a space: C1 controls (NEL ...) and the complete Zs, Zl
// and Zp categories (stable since Unicode 4.0; most are already U+0020 after NFKC).
bool is_unicode_space(char32_t cp) {
    return cp <= 0x9F || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

// Strict decoder (Unicode Table 3-7). An invalid sequence yields one U+FFFD per maximal
// invalid subpart, the practice recommended by Unicode and used by browsers.
char32_t decode_one(const unsigned char* s, std::size_t n, std::size_t& i, bool* bad = nullptr) {
    const unsigned char c = s[i];
    if (c < 0x80) {
        ++i;
        return c;
    }
    int len;
    char32_t cp;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, cp = c & 0x0F;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;  // no UTF-16 surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, cp = c & 0x07;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
    } else {
        ++i;
        if (bad) *bad = true;
        return kReplacement;
    }
    std::size_t k = i + 1;
    for (int m = 1; m < len; ++m, ++k) {
        if (k >= n || s[k] < lo || s[k] > hi) {
            i = k;
            if (bad) *bad = true;
            return kReplacement;
        }
        cp = (cp << 6) | (s[k] & 0x3F);
        lo = 0x80, hi = 0xBF;
    }
    i = k;
    return cp;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        const char b[2] = {static_cast<char>(0xC0 | (cp >> 6)),
                           static_cast<char>(0x80 | (cp & 0x3F))};
        out.append(b, 2);
    } else if (cp < 0x10000) {
        const char b[3] = {static_cast<char>(0xE0 | (cp >> 12)),
                           static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
                           static_cast<char>(0x80 | (cp & 0x3F))};
        out.append(b, 3);
    } else {
        const char b[4] = {
            static_cast<char>(0xF0 | (cp >> 18)), static_cast<char>(0x80 | ((cp >> 12) & 0x3F)),
            static_cast<char>(0x80 | ((cp >> 6) & 0x3F)), static_cast<char>(0x80 | (cp & 0x3F))};
        out.append(b, 4);
    }
}

inline bool is_ascii_blank(unsigned char c) { return c <= 0x20 || c == 0x7F; }
inline char ascii_lower(unsigned char c) {
    return static_cast<char>((c >= 'A' && c <= 'Z') ? c + 32 : c);
}

enum ByteKind : unsigned char { kPrintable, kBlank, kNonAscii };
struct AsciiTable {
    ByteKind kind[256];
    char lower[256];
    char identity[256];
};
const AsciiTable& ascii_table() {
    static const AsciiTable table = [] {
        AsciiTable t{};
        for (int c = 0; c < 256; ++c) {
            const auto b = static_cast<unsigned char>(c);
            t.kind[c] = b >= 0x80 ? kNonAscii : is_ascii_blank(b) ? kBlank : kPrintable;
            t.lower[c] = ascii_lower(b);
            t.identity[c] = static_cast<char>(b);
        }
        return t;
    }();
    return table;
}

class Normalizer {
  public:
    explicit Normalizer(bool case_fold)
        : case_fold_(case_fold),
          options_(static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE |
                                                  UTF8PROC_COMPAT |
                                                  (case_fold ? UTF8PROC_CASEFOLD : 0))) {}

    std::string run(std::string_view text) {
        // The output is written through a raw pointer into a buffer sized for the input (ASCII
        // never grows); only NFKC expansions of non-ASCII runs need to grow it.
        out_.assign(text.size() + 16, '\0');
        len_ = 0;
        pending_space_ = false;
        last_was_ascii_char_ = false;
        const auto* s = reinterpret_cast<const unsigned char*>(text.data());
        const std::size_t n = text.size();
        const AsciiTable& table = ascii_table();
        const char* lower = case_fold_ ? table.lower : table.identity;
        std::size_t i = 0;
        while (i < n) {
            char* dst = &out_[len_];
            char* const begin = &out_[0];
            bool pending = pending_space_, last_ascii = last_was_ascii_char_;
            for (; i < n; ++i) {
                const unsigned char c = s[i];
                const ByteKind kind = table.kind[c];
                if (kind == kPrintable) {
                    if (pending) *dst++ = ' ';
                    pending = false;
                    *dst++ = lower[c];
                    last_ascii = true;
                } else if (kind == kBlank) {
                    pending = dst != begin;
                    last_ascii = false;
                } else {
                    break;
                }
            }
            len_ = static_cast<std::size_t>(dst - begin);
            pending_space_ = pending;
            last_was_ascii_char_ = last_ascii;
            if (i == n) break;
            std::size_t j = i + 1;
            while (j < n && s[j] >= 0x80) ++j;
            non_ascii_run(s + i, j - i);
            // Keep room for the rest of the input, which is never longer than its bytes.
            if (out_.size() < len_ + (n - j) + 16) out_.resize(len_ + (n - j) + 16);
            i = j;
        }
        out_.resize(len_);
        // Thread-local scratch space must not keep the size of the largest document forever.
        constexpr std::size_t kKeep = 1 << 16;
        if (buf_.size() > kKeep) std::vector<utf8proc_int32_t>().swap(buf_);
        if (fixed_.capacity() > kKeep) std::string().swap(fixed_);
        return std::move(out_);
    }

  private:
    void space() {
        pending_space_ = len_ > 0;
        last_was_ascii_char_ = false;
    }
    void reserve(std::size_t extra) {
        if (out_.size() < len_ + extra) out_.resize(std::max(out_.size() * 2, len_ + extra));
    }
    void put(char c) { out_[len_++] = c; }
    void emit(char32_t cp) {
        reserve(5);
        if (cp < 0x80) {
            if (is_ascii_blank(static_cast<unsigned char>(cp))) {
                space();
                return;
            }
            if (pending_space_) put(' ');
            pending_space_ = false;
            put(static_cast<char>(cp));
            last_was_ascii_char_ = true;
            return;
        }
        if (is_zero_width(cp)) return;  // neither a character nor a space
        if (is_unicode_space(cp)) {
            space();
            return;
        }
        if (pending_space_) put(' ');
        pending_space_ = false;
        if (cp < 0x800) {
            put(static_cast<char>(0xC0 | (cp >> 6)));
        } else {
            if (cp < 0x10000) {
                put(static_cast<char>(0xE0 | (cp >> 12)));
            } else {
                put(static_cast<char>(0xF0 | (cp >> 18)));
                put(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
            }
            put(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        }
        put(static_cast<char>(0x80 | (cp & 0x3F)));
        last_was_ascii_char_ = false;
    }

    void non_ascii_run(const unsigned char* s, std::size_t n) {
        // Repair invalid UTF-8 (utf8proc refuses invalid input as a whole) and drop zero-width
        // characters before normalising: left in place they would keep "a", U+200B, U+0301
        // from composing, and the result would not be NFKC once they are gone.
        const unsigned char* src = s;
        std::size_t src_len = n;
        if (!clean_run(s, n)) {
            fixed_.clear();
            for (std::size_t i = 0; i < n;) {
                const char32_t cp = decode_one(s, n, i);
                if (!is_zero_width(cp)) append_utf8(fixed_, cp);
            }
            src = reinterpret_cast<const unsigned char*>(fixed_.data());
            src_len = fixed_.size();
        }
        // Take back the preceding ASCII character: the run may start with its combining marks.
        std::size_t prefix = 0;
        if (last_was_ascii_char_) {
            if (buf_.empty()) buf_.resize(64);
            buf_[0] = static_cast<unsigned char>(out_[--len_]);
            prefix = 1;
        }
        utf8proc_ssize_t count = -1;
        for (int attempt = 0; attempt < 2; ++attempt) {
            // NFKC expands at most 18x per code point (U+FDFA); start with a cheap guess.
            if (buf_.size() < prefix + src_len + 8) buf_.resize(prefix + src_len + 8);
            count = utf8proc_decompose(
                src, static_cast<utf8proc_ssize_t>(src_len), buf_.data() + prefix,
                static_cast<utf8proc_ssize_t>(buf_.size() - prefix), options_);
            if (count < 0 || static_cast<std::size_t>(count) <= buf_.size() - prefix) break;
            buf_.resize(prefix + static_cast<std::size_t>(count));
        }
        last_was_ascii_char_ = false;
        if (count < 0) {
            // utf8proc should accept anything the strict decoder let through; if a future
            // version does not, keep the characters unnormalised rather than lose them.
            if (prefix) emit(static_cast<char32_t>(buf_[0]));
            for (std::size_t i = 0; i < src_len;) emit(decode_one(src, src_len, i));
            return;
        }
        const auto total = utf8proc_normalize_utf32(
            buf_.data(), static_cast<utf8proc_ssize_t>(prefix) + count, options_);
        for (utf8proc_ssize_t k = 0; k < total; ++k) emit(static_cast<char32_t>(buf_[k]));
    }

    // Valid UTF-8 without zero-width characters.
    static bool clean_run(const unsigned char* s, std::size_t n) {
        bool invalid = false;
        for (std::size_t i = 0; i < n;) {
            if (is_zero_width(decode_one(s, n, i, &invalid)) || invalid) return false;
        }
        return true;
    }

    bool case_fold_;
    utf8proc_option_t options_;
    std::string out_;  // out_[0, len_) is the result so far
    std::size_t len_ = 0;
    bool pending_space_ = false;
    bool last_was_ascii_char_ = false;
    std::vector<utf8proc_int32_t> buf_;
    std::string fixed_;
};

// ---------------------------------------------------------------------------------------------
// PII masking: hand-written scanners over the normalised text (spaces already collapsed).
// ---------------------------------------------------------------------------------------------

// Byte classes for the scanners, looked up in one table (the masking pass visits every byte).
enum : unsigned char { kDigit = 1, kAlpha = 2, kEmailLocal = 4, kWord = 8, kPhoneBefore = 16 };
struct ByteClasses {
    unsigned char bits[256];
    constexpr ByteClasses() : bits{} {
        for (int c = 0; c < 256; ++c) {
            unsigned char b = 0;
            if (c >= '0' && c <= '9') b |= kDigit | kEmailLocal | kWord;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) b |= kAlpha | kEmailLocal | kWord;
            if (c == '.' || c == '_' || c == '%' || c == '+' || c == '-') b |= kEmailLocal;
            // A URL or e-mail glued to a word is not one.
            if (c == '_' || c >= 0x80) b |= kWord;
            // What may stand right before a phone number.
            if (c == ' ' || c == '(' || c == '[' || c == '{' || c == '"' || c == '\'' || c == '<' ||
                c == '>' || c == ':' || c == ';' || c == '=' || c == '*') {
                b |= kPhoneBefore;
            }
            bits[c] = b;
        }
    }
};
constexpr ByteClasses kBytes{};

inline bool is_digit(unsigned char c) { return kBytes.bits[c] & kDigit; }
inline bool is_alpha(unsigned char c) { return kBytes.bits[c] & kAlpha; }
inline bool is_alnum(unsigned char c) { return kBytes.bits[c] & (kDigit | kAlpha); }
inline bool is_email_local(unsigned char c) { return kBytes.bits[c] & kEmailLocal; }
inline bool is_word_byte(unsigned char c) { return kBytes.bits[c] & kWord; }
inline bool phone_may_follow(unsigned char prev) { return kBytes.bits[prev] & kPhoneBefore; }

bool starts_with_ci(std::string_view t, std::size_t i, std::string_view prefix) {
    if (t.size() - i < prefix.size()) return false;
    for (std::size_t k = 0; k < prefix.size(); ++k) {
        if (ascii_lower(static_cast<unsigned char>(t[i + k])) != prefix[k]) return false;
    }
    return true;
}

constexpr std::size_t kNoMatch = std::string_view::npos;

// Domain "label(.label)+" starting at i with an alphabetic TLD of 2+ letters; returns its end.
std::size_t match_domain(std::string_view t, std::size_t i) {
    const auto at = [&](std::size_t k) { return static_cast<unsigned char>(t[k]); };
    std::size_t j = i, labels = 0, last_label = i;
    while (true) {
        const std::size_t start = j;
        while (j < t.size() && (is_alnum(at(j)) || at(j) == '-')) ++j;
        if (j == start || at(start) == '-' || at(j - 1) == '-') return kNoMatch;
        ++labels;
        last_label = start;
        if (j + 1 < t.size() && at(j) == '.' && is_alnum(at(j + 1))) {
            ++j;
            continue;
        }
        break;
    }
    if (labels < 2 || j - last_label < 2) return kNoMatch;
    for (std::size_t k = last_label; k < j; ++k) {
        if (!is_alpha(at(k))) return kNoMatch;
    }
    return j;
}

// E-mail whose local part starts at i (i is at a local-part boundary). Returns the end and
// sets *start (leading dots are not part of an address).
std::size_t match_email(std::string_view t, std::size_t i, std::size_t* start) {
    const auto at = [&](std::size_t k) { return static_cast<unsigned char>(t[k]); };
    std::size_t j = i;
    while (j < t.size() && is_email_local(at(j))) ++j;
    if (j >= t.size() || at(j) != '@') return kNoMatch;
    std::size_t s = i;
    while (s < j && at(s) == '.') ++s;
    if (s == j || at(j - 1) == '.') return kNoMatch;
    const std::size_t end = match_domain(t, j + 1);
    if (end == kNoMatch) return kNoMatch;
    *start = s;
    return end;
}

inline bool is_url_byte(unsigned char c) {
    return c > 0x20 && c < 0x7F && c != '<' && c != '>' && c != '"' && c != '`' && c != '{' &&
           c != '}' && c != '|' && c != '\\' && c != '^';
}

// http://, https:// or www. URL starting at i (left boundary already checked).
std::size_t match_url(std::string_view t, std::size_t i) {
    const auto at = [&](std::size_t k) { return static_cast<unsigned char>(t[k]); };
    std::size_t j;
    if (starts_with_ci(t, i, "http://")) {
        j = i + 7;
    } else if (starts_with_ci(t, i, "https://")) {
        j = i + 8;
    } else if (starts_with_ci(t, i, "www.")) {
        // "www.example.org", not a sentence that happens to contain "www." and a word.
        if (match_domain(t, i) == kNoMatch) return kNoMatch;
        j = i + 4;
    } else {
        return kNoMatch;
    }
    if (j >= t.size() || !is_alnum(at(j))) return kNoMatch;
    while (j < t.size() && is_url_byte(at(j))) ++j;
    // Sentence punctuation after a URL is not part of it; ")" only when unbalanced, so
    // "(see http://x.org/a_(b))" keeps the inner parenthesis.
    while (j > i) {
        const unsigned char c = at(j - 1);
        if (c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == '\'' ||
            c == '*' || c == ']') {
            --j;
            continue;
        }
        if (c == ')') {
            const auto sub = t.substr(i, j - i);
            if (std::count(sub.begin(), sub.end(), ')') > std::count(sub.begin(), sub.end(), '(')) {
                --j;
                continue;
            }
        }
        break;
    }
    return j;
}

// Phone number starting at i: optional "+", digit groups separated by one of " -./", at most
// one "(area)" group, first or right after an international country code. Sets *scanned to
// where the scan stopped so a rejected candidate is skipped as a whole (no suffix of
// "1 500 000" becomes a phone).
//
// Free text is full of digit groups that are not phones (confidence intervals "1.24-10.39",
// ratios "448/8053", records "728-385-8", case citations "342 U.S. 246 (1952)", ids
// "GO:0008544"), so a national number needs a shape that is typical of phones. Accepted, with
// 7..15 digits (E.164 allows 15):
//  - international: "+" with any grouping; "00" with at least 10 digits;
//  - an area code of 2..5 digits in parentheses first, then at least 5 digits:
//    "(555) 123-4567", "(030) 1234567";
//  - dashes only, 3+ groups of 2+ digits after the first: "555-123-4567", "1-800-555-1234"
//    (not dates "2020-01-15"); two groups only with a trunk "0": "030-1234567";
//  - dots only, 3+ groups of 2+ digits after the first: "555.123.4567" (not dates, IPv4
//    addresses, thousands "1.500.000");
//  - a slash, spaces only, or no separator: only with a trunk "0" ("030/1234567",
//    "06 12 34 56 78", "0612345678" with 9+ digits), since "12 500 000" and "2019 2020" are
//    ordinary numbers.
// Not masked (documented trade-off): national numbers without a trunk "0" written with spaces
// only ("555 123 4567") or as two dash groups ("555-1234").
std::size_t match_phone(std::string_view t, std::size_t i, std::size_t* scanned) {
    const auto at = [&](std::size_t k) { return static_cast<unsigned char>(t[k]); };
    const std::size_t n = t.size();
    constexpr int kMaxGroups = 16;
    std::size_t j = i;
    const bool plus = at(j) == '+';
    if (plus) ++j;
    int digits = 0, groups = 0, paren_group = -1;
    int group_len[kMaxGroups];
    char seps[kMaxGroups];  // seps[g] separates group g and g + 1 ('\0': none, after ")")
    unsigned char first_digit = 0;
    bool too_long = false;
    std::size_t end = i;  // after the last complete group
    while (j < n && groups < kMaxGroups) {
        int len;
        // An area code in parentheses comes first, or right after a "+country" group.
        if (at(j) == '(' && paren_group < 0 && (groups == 0 || (groups == 1 && plus))) {
            std::size_t k = j + 1;
            while (k < n && is_digit(at(k))) ++k;
            if (k == j + 1 || k >= n || at(k) != ')') break;
            len = static_cast<int>(k - j - 1);
            if (!first_digit) first_digit = at(j + 1);
            paren_group = groups;
            j = k + 1;
        } else if (is_digit(at(j))) {
            if (!first_digit) first_digit = at(j);
            const std::size_t k0 = j;
            while (j < n && is_digit(at(j))) ++j;
            len = static_cast<int>(j - k0);
        } else {
            break;
        }
        digits += len;
        group_len[groups++] = len;
        end = j;
        if (digits > 15) {
            too_long = true;
            break;
        }
        const bool more = j + 1 < n && (is_digit(at(j + 1)) || at(j + 1) == '(');
        if (more && (at(j) == ' ' || at(j) == '-' || at(j) == '.' || at(j) == '/')) {
            seps[groups - 1] = static_cast<char>(at(j));
            ++j;
        } else if (paren_group == groups - 1 && j < n && is_digit(at(j))) {
            seps[groups - 1] = '\0';  // "(0)30 123456"
        } else {
            break;
        }
    }
    *scanned = std::max(j, i + 1);
    if (too_long || groups == 0 || digits < 7) return kNoMatch;
    // Glued to a word, an e-mail or a longer number: not a phone on its own.
    if (end < n) {
        const unsigned char c = at(end);
        if (is_word_byte(c) || c == '@' || c == '%' || c == '(') return kNoMatch;
        if ((c == ',' || c == '.' || c == '/' || c == '-') && end + 1 < n &&
            is_digit(at(end + 1))) {
            return kNoMatch;
        }
    }
    const int nseps = groups - 1;
    const bool trunk = first_digit == '0';
    if (plus) return end;
    if (at(i) == '0' && i + 1 < n && at(i + 1) == '0') return digits >= 10 ? end : kNoMatch;
    if (paren_group == 0) {
        const int len = group_len[0];
        return (len >= 2 && len <= 5 && digits - len >= 5) ? end : kNoMatch;
    }
    bool has[128] = {};
    for (int g = 0; g < nseps; ++g) has[static_cast<unsigned char>(seps[g])] = true;
    const int kinds = has[' '] + has['-'] + has['.'] + has['/'];
    if (nseps == 0) return trunk && digits >= 9 ? end : kNoMatch;
    if (has['/'] || (kinds == 1 && has[' '])) return trunk ? end : kNoMatch;
    // Dots mixed with anything are decimals ("1.24-10.39"); "555 123-4567" counts as dashes.
    if (kinds > 1 && has['.']) return kNoMatch;
    const char sep = has['-'] ? '-' : '.';
    if (groups == 2) return (sep == '-' && trunk) ? end : kNoMatch;
    for (int g = 1; g < groups; ++g) {
        if (group_len[g] < 2) return kNoMatch;  // "728-385-8", ISBN "0-12-345678-9"
    }
    const bool all_years = std::all_of(group_len, group_len + groups, [](int l) { return l == 4; });
    if (all_years) {
        bool years = true;
        for (std::size_t k = i; k < end && years; ++k) {
            if (is_digit(at(k)) && (k == i || !is_digit(at(k - 1)))) {
                years = (at(k) == '1' && at(k + 1) >= '5') || (at(k) == '2' && at(k + 1) == '0');
            }
        }
        if (years) return kNoMatch;  // "1990-2000-2010", "1995 2000-2005"
    }
    if (groups == 3 && ((group_len[0] == 4 && group_len[1] <= 2 && group_len[2] <= 2) ||
                        (group_len[0] <= 2 && group_len[1] <= 2 && group_len[2] == 4))) {
        return kNoMatch;  // date
    }
    if (sep == '.') {
        if (groups == 4 && std::all_of(group_len, group_len + 4, [](int l) { return l <= 3; })) {
            return kNoMatch;  // IPv4 address
        }
        if (!trunk && group_len[0] <= 3 &&
            std::all_of(group_len + 1, group_len + groups, [](int l) { return l == 3; })) {
            return kNoMatch;  // thousands separators
        }
    }
    return end;
}

std::string mask_pii(std::string text, SanitizeStats* stats) {
    const std::string_view t(text);
    const std::size_t n = t.size();
    std::string out;
    std::size_t copied = 0;  // t[copied, i) not yet copied to `out`
    bool any = false;
    const auto replace = [&](std::size_t start, std::size_t end, const char* token) {
        if (!any) out.reserve(n);
        any = true;
        out.append(t.data() + copied, start - copied);
        out += token;
        copied = end;
    };
    // Without an '@' there is no e-mail to look for; this check saves scanning every word.
    const bool has_at = t.find('@') != std::string_view::npos;
    std::size_t i = 0;
    while (i < n) {
        const unsigned char c = static_cast<unsigned char>(t[i]);
        const unsigned char prev = i ? static_cast<unsigned char>(t[i - 1]) : ' ';
        if (!is_word_byte(prev) && (c == 'h' || c == 'H' || c == 'w' || c == 'W')) {
            const bool www = c == 'w' || c == 'W';
            if (!www || (prev != '.' && prev != '-' && prev != '@' && prev != '/')) {
                const std::size_t end = match_url(t, i);
                if (end != kNoMatch) {
                    replace(i, end, "<url>");
                    if (stats) ++stats->urls;
                    i = end;
                    continue;
                }
            }
        }
        if (has_at && is_email_local(c) && !is_email_local(prev) && prev < 0x80 && prev != '@') {
            std::size_t start = i;
            const std::size_t end = match_email(t, i, &start);
            if (end != kNoMatch) {
                replace(start, end, "<email>");
                if (stats) ++stats->emails;
                i = end;
                continue;
            }
        }
        if ((is_digit(c) || c == '+' || c == '(') && phone_may_follow(prev)) {
            std::size_t scanned = i + 1;
            const std::size_t end = match_phone(t, i, &scanned);
            if (end != kNoMatch) {
                replace(i, end, "<phone>");
                if (stats) ++stats->phones;
                i = end;
                continue;
            }
            // Skip the rejected number as a whole, except for an e-mail whose local part
            // starts inside it ("call 555 1234567@x.org").
            std::size_t email_start = 0, email_end = kNoMatch;
            for (std::size_t k = i + 1; has_at && k < scanned; ++k) {
                const auto ck = static_cast<unsigned char>(t[k]);
                const auto pk = static_cast<unsigned char>(t[k - 1]);
                if (is_email_local(ck) && !is_email_local(pk) && pk != '@') {
                    email_end = match_email(t, k, &email_start);
                    if (email_end != kNoMatch) break;
                }
            }
            if (email_end != kNoMatch) {
                replace(email_start, email_end, "<email>");
                if (stats) ++stats->emails;
                i = email_end;
            } else {
                i = scanned;
            }
            continue;
        }
        // Nothing can start inside a word (every scanner needs a non-word byte before it).
        ++i;
        if (is_word_byte(c)) {
            while (i < n && is_word_byte(static_cast<unsigned char>(t[i]))) ++i;
        }
    }
    if (!any) return text;
    out.append(t.data() + copied, n - copied);
    return out;
}

// fastText reads any token starting with "__label__" as a label: the text must not contain it.
void neutralise_label_marker(std::string& text) {
    static constexpr std::string_view kMarker = "__label__";
    std::size_t pos = text.find(kMarker);
    while (pos != std::string::npos) {
        text.replace(pos, kMarker.size(), "_label_");
        // Replacing shortens the text; "___label__" may form a new marker one byte earlier.
        pos = text.find(kMarker, pos > 0 ? pos - 1 : 0);
    }
}

}  // namespace

std::string sanitize_text(std::string_view text, const SanitizeOptions& opts,
                          SanitizeStats* stats) {
    thread_local Normalizer folding(true), keeping_case(false);
    std::string out = (opts.case_fold ? folding : keeping_case).run(text);
    if (opts.mask_pii) out = mask_pii(std::move(out), stats);
    neutralise_label_marker(out);
    return out;
}

namespace {

std::string source_of(const Record& r) {
    return r.line ? r.source + ":" + std::to_string(r.line) : r.source;
}

std::string snippet(const std::string& text) {
    constexpr std::size_t kMax = 60;
    if (text.size() <= kMax) return text;
    std::size_t cut = kMax;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    return text.substr(0, cut) + "...";
}

constexpr std::size_t kMaxNotesPerKind = 10;

}  // namespace

std::vector<Example> prepare_examples(const std::vector<Record>& records,
                                      const SanitizeOptions& opts, SanitizeStats& stats) {
    struct Candidate {
        std::size_t record;
        LabelPath label;
        std::size_t group;
    };
    std::vector<Candidate> candidates;
    candidates.reserve(records.size());
    std::unordered_map<std::string, std::size_t> group_of_text;
    std::vector<std::string> group_texts;
    std::size_t bad_label_notes = 0;

    for (std::size_t r = 0; r < records.size(); ++r) {
        const Record& rec = records[r];
        if (rec.label.find_first_not_of(" \t\r\n") == std::string::npos) {
            ++stats.unlabelled;
            continue;
        }
        std::string error;
        auto label = parse_label_path(rec.label, &error);
        if (!label) {
            ++stats.bad_labels;
            if (bad_label_notes++ < kMaxNotesPerKind)
                stats.notes.push_back(source_of(rec) + ": " + error);
            continue;
        }
        std::string text = sanitize_text(rec.text, opts, &stats);
        if (text.empty()) {
            ++stats.empty;
            continue;
        }
        auto [it, inserted] = group_of_text.try_emplace(std::move(text), group_texts.size());
        if (inserted) group_texts.push_back(it->first);
        candidates.push_back(Candidate{r, std::move(*label), it->second});
    }
    if (bad_label_notes > kMaxNotesPerKind) {
        stats.notes.push_back(std::to_string(bad_label_notes - kMaxNotesPerKind) +
                              " more records with a bad label path");
    }

    // The newest record of each text wins; among equal `order`, the later one in the input
    // (feedback files are appended to, so later means newer).
    std::vector<std::size_t> winner(group_texts.size(), SIZE_MAX);
    for (std::size_t c = 0; c < candidates.size(); ++c) {
        auto& w = winner[candidates[c].group];
        if (w == SIZE_MAX ||
            records[candidates[c].record].order >= records[candidates[w].record].order) {
            w = c;
        }
    }
    std::size_t conflict_notes = 0;
    for (std::size_t c = 0; c < candidates.size(); ++c) {
        const std::size_t w = winner[candidates[c].group];
        if (c == w) continue;
        if (candidates[c].label == candidates[w].label) {
            ++stats.duplicates;
            continue;
        }
        ++stats.conflicts;
        if (conflict_notes++ < kMaxNotesPerKind) {
            stats.notes.push_back(
                "conflicting labels for \"" + snippet(group_texts[candidates[c].group]) +
                "\": kept '" + candidates[w].label.str() + "' (" +
                source_of(records[candidates[w].record]) + ", newer), dropped '" +
                candidates[c].label.str() + "' (" + source_of(records[candidates[c].record]) + ")");
        }
    }
    if (conflict_notes > kMaxNotesPerKind) {
        stats.notes.push_back(std::to_string(conflict_notes - kMaxNotesPerKind) +
                              " more conflicting records (newest label kept)");
    }

    std::vector<Example> examples;
    examples.reserve(group_texts.size());
    for (std::size_t g = 0; g < group_texts.size(); ++g) {
        const Candidate& w = candidates[winner[g]];
        const Record& rec = records[w.record];
        examples.push_back(Example{std::move(group_texts[g]), w.label, rec.order, source_of(rec)});
    }
    return examples;
}

}  // namespace htc
