// Plain-text reader. The layout is chosen by looking at the non-blank lines:
//
// - fastText (format "txt-fasttext"): at least half of the lines start with `__label__`.
//   `__label__Science/Physics lenses bend light` -> label "Science/Physics", text "lenses bend
//   light". Only the leading `__label__` tokens are labels; `__label__` later in a line is text.
//   Several leading labels: fastText reads them as several classes, which a single label path
//   cannot hold, so the FIRST is used (and a warning counts such lines) -- except when a later
//   one extends it as a path (`__label__A __label__A/B`), then the deepest such path is used.
//   A line without a leading label is an unlabelled document.
// - Tabbed lines (format "txt-tabbed"): at least 75% of the lines hold a TAB.
//   * First line names known fields (`text<TAB>label`, Excel "Unicode Text"): read as TSV with
//     a header (csv_reader.cpp rules, quotes honoured).
//   * One TAB per line (90% of the tabbed lines): `label<TAB>text`; when the first cells are
//     clearly the long ones (twice the mean length of the second), `text<TAB>label`. Quotes
//     are ordinary characters.
//     A line without a TAB is skipped with its line number.
//   * More TABs per line: TSV without quoting, columns detected by content (csv_reader.cpp).
// - Otherwise the whole file is one document (format "txt-document"), whose label is the
//   folder path when it comes from a folder.
// Line breaks may be LF, CRLF or CR. A blank file gives no record and a warning.
#include <algorithm>

#include "ingest/readers.h"

namespace htc::ingest_detail {
namespace {

struct Line {
    std::string_view text;
    std::size_t number;  // 1-based
};

std::vector<Line> split_lines(std::string_view s) {
    std::vector<Line> out;
    std::size_t pos = 0, number = 1;
    while (pos < s.size()) {
        std::size_t end = pos;
        while (end < s.size() && s[end] != '\n' && s[end] != '\r') ++end;
        out.push_back({s.substr(pos, end - pos), number++});
        if (end < s.size() && s[end] == '\r' && end + 1 < s.size() && s[end + 1] == '\n') ++end;
        pos = end + 1;
    }
    return out;
}

constexpr std::string_view kLabelPrefix = "__label__";

bool starts_with_label(std::string_view line) {
    line = trim(line);
    return line.substr(0, kLabelPrefix.size()) == kLabelPrefix;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f'; }

void read_fasttext(const std::vector<Line>& lines, ReadContext& ctx) {
    ctx.set_format("txt-fasttext");
    ctx.set_mapping("fastText lines: __label__<path> <text>");
    const std::string& sep = ctx.opts.label_sep;
    std::size_t multi = 0;
    std::vector<std::string_view> labels;
    for (const Line& ln : lines) {
        std::string_view rest = trim(ln.text);
        if (rest.empty()) continue;
        labels.clear();
        while (rest.substr(0, kLabelPrefix.size()) == kLabelPrefix) {
            std::size_t end = 0;
            while (end < rest.size() && !is_space(rest[end])) ++end;
            labels.push_back(rest.substr(kLabelPrefix.size(), end - kLabelPrefix.size()));
            rest = trim(rest.substr(end));
        }
        if (rest.empty()) {
            ctx.skip(ln.number, labels.empty() ? "empty line" : "no text after the label");
            continue;
        }
        std::string_view label;
        if (!labels.empty()) {
            label = labels[0];
            for (std::size_t k = 1; k < labels.size(); ++k) {
                std::string_view l = labels[k];
                if (l.size() > label.size() + sep.size() && l.substr(0, label.size()) == label &&
                    l.substr(label.size(), sep.size()) == sep)
                    label = l;
            }
            if (labels.size() > 1 && label == labels[0]) ++multi;
            if (label.empty()) {
                ctx.skip(ln.number, "empty __label__");
                continue;
            }
        }
        ctx.add(std::string(rest), std::string(label), ln.number);
    }
    if (multi) {
        ctx.warn(std::to_string(multi) +
                 " line(s) carry several __label__ tokens; the first is used as the label path");
    }
}

void read_label_tab_text(const std::vector<Line>& lines, ReadContext& ctx) {
    ctx.set_format("txt-tabbed");
    // Which side is the label: the short one. label<TAB>text unless clearly reversed.
    double first_len = 0, second_len = 0;
    std::size_t n = 0;
    for (const Line& ln : lines) {
        std::size_t tab = ln.text.find('\t');
        if (tab == std::string_view::npos) continue;
        first_len += tab;
        second_len += ln.text.size() - tab - 1;
        if (++n == 200) break;
    }
    const bool text_first = n > 0 && first_len > 2 * second_len;
    ctx.set_mapping(text_first ? "lines: text<TAB>label" : "lines: label<TAB>text");
    for (const Line& ln : lines) {
        if (trim(ln.text).empty()) continue;
        std::size_t tab = ln.text.find('\t');
        if (tab == std::string_view::npos) {
            ctx.skip(ln.number, text_first ? "no TAB: expected text<TAB>label"
                                           : "no TAB: expected label<TAB>text");
            continue;
        }
        std::string_view a = ln.text.substr(0, tab), b = ln.text.substr(tab + 1);
        std::string_view label = trim(text_first ? b : a), body = text_first ? a : b;
        if (body.size() > ctx.opts.max_field_bytes) {
            ctx.skip(ln.number, "text is " + format_bytes(body.size()) + ", over the limit of " +
                                    format_bytes(ctx.opts.max_field_bytes) + " (max_field_bytes)");
            continue;
        }
        if (trim(body).empty()) {
            ctx.skip(ln.number, "empty text");
            continue;
        }
        ctx.add(std::string(body), std::string(label), ln.number);
    }
}

}  // namespace

void read_txt(std::string_view text, ReadContext& ctx) {
    std::vector<Line> lines = split_lines(text);
    std::size_t nonblank = 0, labelled = 0, tabbed = 0, one_tab = 0;
    const Line* first = nullptr;
    for (const Line& ln : lines) {
        if (trim(ln.text).empty()) continue;
        if (!first) first = &ln;
        ++nonblank;
        labelled += starts_with_label(ln.text);
        std::size_t tabs = std::count(ln.text.begin(), ln.text.end(), '\t');
        tabbed += tabs > 0;
        one_tab += tabs == 1;
    }
    if (nonblank == 0) {
        ctx.set_format("txt-document");
        ctx.warn(text.empty() ? "empty file" : "no text (the file holds only blank lines)");
        return;
    }
    if (labelled > 0 && labelled * 2 >= nonblank) {
        read_fasttext(lines, ctx);
        return;
    }
    if (tabbed * 4 >= nonblank * 3) {
        std::vector<std::string> cells;
        std::string_view rest = first->text;
        while (true) {
            std::size_t tab = rest.find('\t');
            cells.emplace_back(rest.substr(0, tab));
            if (tab == std::string_view::npos) break;
            rest.remove_prefix(tab + 1);
        }
        if (has_known_field_name(cells)) {
            read_csv(text, CsvReadSettings{'\t', true, '\t', "txt-tabbed"}, ctx);
        } else if (one_tab * 10 >= tabbed * 9) {
            read_label_tab_text(lines, ctx);
        } else {
            read_csv(text, CsvReadSettings{'\t', false, '\t', "txt-tabbed"}, ctx);
        }
        return;
    }
    ctx.set_format("txt-document");
    ctx.set_mapping("whole file = one document");
    if (text.size() > ctx.opts.max_field_bytes) {
        ctx.skip(first->number, "text is " + format_bytes(text.size()) + ", over the limit of " +
                                    format_bytes(ctx.opts.max_field_bytes) + " (max_field_bytes)");
        return;
    }
    ctx.add(std::string(text), "", first->number);
}

}  // namespace htc::ingest_detail
