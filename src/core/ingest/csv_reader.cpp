// CSV / TSV reader.
//
// Accepted format (quoted in the README):
// - RFC 4180 quoting: a field that starts with `"` runs to the next lone `"`; `""` inside it is
//   one quote; delimiters and line breaks inside quotes are data. A quote inside an unquoted
//   field is an ordinary character; characters between a closing quote and the next delimiter
//   are kept (lenient, like most spreadsheet readers).
// - Line breaks: CRLF, LF or CR alone, mixed freely. Blank lines are ignored.
// - Delimiter: sniffed among `,` `;` TAB `|` by the most consistent field count (outside quotes)
//   over the first rows; ties go to the larger field count, then to TAB for .tsv/.tab and `,`
//   otherwise.
// - Header row: present when its cells are short and either name a known field (text, label,
//   l1, Domain, ...) or differ in kind from the rows below (a word above a numeric column, a
//   short word above long texts). Without a header, the column with the longest values is the
//   text and the other short, non-numeric, repeating columns are label levels in column order
//   (dbpedia: text,l1,l2,l3 -> "l1/l2/l3").
// - Label levels are trimmed and joined with label_sep; empty levels are dropped.
// - Rows that lack a column the mapping needs, or that carry extra non-empty fields, are skipped
//   with a per-row reason; extra empty trailing fields (`a,b,,`) are ignored. A row with an empty
//   text is skipped. A field longer than max_field_bytes skips its row.
// - A quote that is never closed skips the row where it opened (reported with that line) and
//   reading resumes on the next line, so later rows are not swallowed into one field.
// - Every record carries the 1-based line where its row starts.
#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "ingest/readers.h"

namespace htc::ingest_detail {
namespace {

enum class RowStatus { kRow, kEnd, kUnterminated };

struct CsvRow {
    std::vector<std::string_view> fields;  // valid until the next call to next()
    std::size_t line = 0;                  // 1-based line where the row starts
    std::size_t long_field = 0;            // 1-based index of a field over the limit, 0 = none
    std::size_t long_bytes = 0;
    bool blank() const { return fields.size() == 1 && fields[0].empty(); }
};

// Single-pass row parser over the decoded text. Fields are views into the input where possible;
// only fields with doubled quotes (or text after a closing quote) are copied into a scratch
// buffer, so the common case does no per-character appends.
class CsvParser {
  public:
    CsvParser(std::string_view data, char delim, bool quoting, std::size_t max_field)
        : d_(data), delim_(delim), quoting_(quoting), max_(max_field) {
        stop_.fill(false);
        stop_[static_cast<unsigned char>(delim)] = true;
        stop_['\n'] = true;
        stop_['\r'] = true;
    }

    RowStatus next(CsvRow& row) {
        const std::size_t n = d_.size();
        if (pos_ >= n) return RowStatus::kEnd;
        row.fields.clear();
        row.line = line_;
        row.long_field = 0;
        row.long_bytes = 0;
        spans_.clear();
        scratch_.clear();
        while (true) {
            Span span{};
            if (quoting_ && pos_ < n && d_[pos_] == '"') {
                if (!read_quoted(span)) return RowStatus::kUnterminated;
            } else {
                std::size_t j = pos_;
                while (j < n && !stop_[static_cast<unsigned char>(d_[j])]) ++j;
                span = Span{pos_, j - pos_, false};
                pos_ = j;
            }
            if (span.len > max_ && row.long_field == 0) {
                row.long_field = spans_.size() + 1;
                row.long_bytes = span.len;
            }
            spans_.push_back(span);
            if (pos_ >= n) break;
            char c = d_[pos_];
            if (c == delim_) {
                ++pos_;
                continue;
            }
            ++pos_;  // CR or LF
            if (c == '\r' && pos_ < n && d_[pos_] == '\n') ++pos_;
            ++line_;
            break;
        }
        for (const Span& s : spans_) {
            row.fields.push_back(s.scratch ? std::string_view(scratch_).substr(s.off, s.len)
                                           : d_.substr(s.off, s.len));
        }
        return RowStatus::kRow;
    }

    // After kUnterminated: the line where the unclosed quote opened.
    std::size_t unterminated_line() const { return open_line_; }
    std::size_t line() const { return line_; }

  private:
    struct Span {
        std::size_t off, len;
        bool scratch;
    };

    // Reads a quoted field starting at pos_ (on the quote). Returns false when the quote is
    // never closed; then pos_ is moved to the line after the one where the quote opened.
    bool read_quoted(Span& span) {
        const std::size_t n = d_.size();
        const std::size_t quote_pos = pos_;
        const std::size_t open_line = line_;
        std::size_t seg = quote_pos + 1;
        std::size_t i = seg;
        bool copied = false;
        const std::size_t scratch_start = scratch_.size();
        while (true) {
            while (i < n) {
                char c = d_[i];
                if (c == '"') break;
                if (c == '\n' || (c == '\r' && (i + 1 >= n || d_[i + 1] != '\n'))) ++line_;
                ++i;
            }
            if (i >= n) {
                open_line_ = open_line;
                std::size_t j = quote_pos;
                while (j < n && d_[j] != '\n' && d_[j] != '\r') ++j;
                if (j < n) j += (d_[j] == '\r' && j + 1 < n && d_[j + 1] == '\n') ? 2 : 1;
                pos_ = j;
                line_ = open_line + 1;
                return false;
            }
            if (i + 1 < n && d_[i + 1] == '"') {  // doubled quote: one quote of data
                scratch_.append(d_.data() + seg, i + 1 - seg);
                copied = true;
                seg = i = i + 2;
                continue;
            }
            break;
        }
        const std::size_t close = i;
        pos_ = close + 1;
        std::size_t j = pos_;
        while (j < n && !stop_[static_cast<unsigned char>(d_[j])]) ++j;
        if (j > pos_) {  // text after the closing quote, kept as data
            scratch_.append(d_.data() + seg, close - seg);
            scratch_.append(d_.data() + pos_, j - pos_);
            copied = true;
            pos_ = j;
        } else if (copied) {
            scratch_.append(d_.data() + seg, close - seg);
        }
        span = copied ? Span{scratch_start, scratch_.size() - scratch_start, true}
                      : Span{quote_pos + 1, close - quote_pos - 1, false};
        return true;
    }

    std::string_view d_;
    char delim_;
    bool quoting_;
    std::size_t max_;
    std::size_t pos_ = 0, line_ = 1, open_line_ = 0;
    std::array<bool, 256> stop_{};
    std::string scratch_;
    std::vector<Span> spans_;
};

constexpr std::size_t kSniffRows = 50;
constexpr std::size_t kSampleRows = 200;

struct SniffScore {
    char delim;
    std::size_t modal = 0;
    double consistency = 0;
};

SniffScore score_delimiter(std::string_view data, char delim, bool quoting, std::size_t max_f) {
    CsvParser p(data, delim, quoting, max_f);
    CsvRow row;
    std::map<std::size_t, std::size_t> counts;
    std::size_t rows = 0;
    RowStatus st;
    while (rows < kSniffRows && (st = p.next(row)) != RowStatus::kEnd) {
        if (st == RowStatus::kUnterminated) break;
        if (row.blank()) continue;
        ++counts[row.fields.size()];
        ++rows;
    }
    SniffScore s{delim};
    std::size_t best = 0;
    for (const auto& [fields, c] : counts) {
        if (c > best || (c == best && fields > s.modal)) {
            best = c;
            s.modal = fields;
        }
    }
    s.consistency = rows ? static_cast<double>(best) / rows : 0.0;
    return s;
}

char sniff_delimiter(std::string_view data, const CsvReadSettings& st, std::size_t max_f,
                     bool* found) {
    const char candidates[] = {',', '\t', ';', '|'};
    SniffScore best{st.preferred_delimiter};
    *found = false;
    for (char c : candidates) {
        SniffScore s = score_delimiter(data, c, st.quoting, max_f);
        if (s.modal < 2) continue;
        bool better =
            !*found || s.consistency > best.consistency + 1e-9 ||
            (s.consistency > best.consistency - 1e-9 &&
             (s.modal > best.modal || (s.modal == best.modal && c == st.preferred_delimiter)));
        if (better) {
            best = s;
            *found = true;
        }
    }
    return best.delim;
}

struct ColumnStats {
    double mean_len = 0;
    double numeric = 0;   // fraction of non-empty cells that are numbers
    double nonempty = 0;  // fraction of rows with a non-empty cell
    double distinct = 1;  // distinct non-empty values / non-empty cells
};

std::vector<ColumnStats> column_stats(const std::vector<std::vector<std::string>>& rows,
                                      std::size_t first, std::size_t ncols) {
    std::vector<ColumnStats> stats(ncols);
    for (std::size_t j = 0; j < ncols; ++j) {
        std::size_t total = 0, nonempty = 0, numeric = 0, len = 0;
        std::set<std::string_view> values;
        for (std::size_t r = first; r < rows.size(); ++r) {
            ++total;
            if (j >= rows[r].size()) continue;
            std::string_view v = trim(rows[r][j]);
            len += v.size();
            if (v.empty()) continue;
            ++nonempty;
            numeric += looks_numeric(v);
            values.insert(v);
        }
        if (!total) continue;
        stats[j].mean_len = static_cast<double>(len) / total;
        stats[j].nonempty = static_cast<double>(nonempty) / total;
        if (nonempty) {
            stats[j].numeric = static_cast<double>(numeric) / nonempty;
            stats[j].distinct = static_cast<double>(values.size()) / nonempty;
        }
    }
    return stats;
}

constexpr std::size_t kMaxHeaderCell = 64;

bool header_by_kind(const std::vector<std::string>& first, const std::vector<ColumnStats>& stats,
                    std::size_t data_rows) {
    if (data_rows == 0) return false;
    bool differs = false;
    for (std::size_t j = 0; j < first.size() && j < stats.size(); ++j) {
        std::string_view f = trim(first[j]);
        if (f.empty()) continue;
        if (stats[j].nonempty > 0 && stats[j].numeric >= 0.8 && !looks_numeric(f)) differs = true;
        std::size_t spaces = std::count(f.begin(), f.end(), ' ');
        if (stats[j].mean_len >= 40 && f.size() * 4 < stats[j].mean_len && spaces <= 2)
            differs = true;
    }
    return differs;
}

// Text = the column with the longest values among `allowed`.
int longest_column(const std::vector<ColumnStats>& stats, const std::vector<int>& excluded) {
    int best = -1;
    for (std::size_t j = 0; j < stats.size(); ++j) {
        if (std::find(excluded.begin(), excluded.end(), static_cast<int>(j)) != excluded.end())
            continue;
        if (best < 0 || stats[j].mean_len > stats[best].mean_len) best = static_cast<int>(j);
    }
    return best;
}

// Label levels of a headerless file: the short, non-numeric columns whose values repeat.
std::vector<int> label_columns_by_content(const std::vector<ColumnStats>& stats, int text,
                                          std::size_t rows) {
    std::vector<int> labels;
    for (std::size_t j = 0; j < stats.size(); ++j) {
        if (static_cast<int>(j) == text) continue;
        const ColumnStats& s = stats[j];
        if (s.nonempty == 0 || s.numeric >= 0.5 || s.mean_len > 100) continue;
        if (rows >= 20 && s.distinct > 0.95) continue;  // ids or titles, not classes
        labels.push_back(static_cast<int>(j));
    }
    return labels;
}

std::string delimiter_name(char d) {
    switch (d) {
        case '\t':
            return "TAB";
        case ',':
            return "','";
        case ';':
            return "';'";
        case '|':
            return "'|'";
    }
    return std::string(1, d);
}

}  // namespace

void read_csv(std::string_view text, const CsvReadSettings& settings, ReadContext& ctx) {
    const std::size_t max_field = ctx.opts.max_field_bytes;
    bool sniffed = false;
    char delim = settings.forced_delimiter ? *settings.forced_delimiter
                                           : sniff_delimiter(text, settings, max_field, &sniffed);
    if (!settings.forced_delimiter && !sniffed) delim = settings.preferred_delimiter;
    ctx.set_format(!settings.format_name.empty() ? settings.format_name
                                                 : (delim == '\t' ? "tsv" : "csv"));

    // Sample the first rows for header and column detection.
    std::vector<std::vector<std::string>> sample;
    {
        CsvParser p(text, delim, settings.quoting, max_field);
        CsvRow row;
        RowStatus st;
        while (sample.size() < kSampleRows && (st = p.next(row)) != RowStatus::kEnd) {
            if (st != RowStatus::kRow || row.blank() || row.long_field) continue;
            sample.emplace_back(row.fields.begin(), row.fields.end());
        }
    }
    if (sample.empty()) {
        ctx.warn(text.empty() ? "empty file" : "no rows (the file holds only blank lines)");
        return;
    }

    // Field count of the data: the most common count over the sample (header excluded later).
    std::map<std::size_t, std::size_t> count_freq;
    for (std::size_t r = 1; r < sample.size(); ++r) ++count_freq[sample[r].size()];
    std::size_t modal = sample[0].size();
    std::size_t modal_freq = 0;
    for (const auto& [c, f] : count_freq) {
        if (f > modal_freq) modal = c, modal_freq = f;
    }

    const std::vector<std::string>& first = sample[0];
    bool first_cells_short = std::all_of(first.begin(), first.end(), [](const std::string& c) {
        return trim(c).size() <= kMaxHeaderCell;
    });
    // A user override by name that matches a first-row cell proves the header.
    bool override_names_header = false;
    for (const std::string* spec : {&ctx.opts.text_col, &ctx.opts.label_cols}) {
        std::string_view rest = *spec;
        while (!rest.empty()) {
            std::size_t comma = rest.find(',');
            std::string part = normalize_name(rest.substr(0, comma));
            if (!part.empty() && !looks_numeric(part)) {
                for (const auto& c : first) override_names_header |= normalize_name(c) == part;
            }
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    std::size_t ncols = std::max(modal, first.size());
    std::vector<ColumnStats> data_stats = column_stats(sample, 1, ncols);
    const bool header =
        override_names_header ||
        (first_cells_short &&
         (has_known_field_name(first) || header_by_kind(first, data_stats, sample.size() - 1)));

    std::vector<std::string> names;
    FieldPlan plan;
    std::vector<ColumnStats> stats;
    if (header) {
        names = first;
        ncols = first.size();
        stats = column_stats(sample, 1, ncols);
        plan = plan_from_names(names);
    } else {
        ncols = modal;
        stats = column_stats(sample, 0, ncols);
    }
    const std::size_t data_rows = sample.size() - (header ? 1 : 0);

    std::string err = apply_overrides(ctx.opts, names, ncols, plan);
    if (!err.empty()) {
        ctx.fail(err);
        return;
    }
    const bool user_labels = !trim(ctx.opts.label_cols).empty();
    if (plan.text < 0) {
        plan.text = longest_column(stats, plan.labels);
        if (header && plan.text >= 0 && trim(ctx.opts.text_col).empty()) {
            ctx.warn(
                "no column is named like a text field (text, content, body, abstract, ...); "
                "using column " +
                std::to_string(plan.text + 1) + " ('" + std::string(trim(names[plan.text])) +
                "'), which holds the longest values");
        }
    }
    if (!header && !user_labels) {
        plan.labels = label_columns_by_content(stats, plan.text, data_rows);
    }
    if (plan.text < 0) {
        ctx.fail("no text column found");
        return;
    }
    if (header && plan.labels.empty() && ctx.folder_label.empty()) {
        ctx.warn(
            "no label column found (looked for label, category, class, path, topic, or "
            "level columns l1, l2, ...); records are unlabelled");
    }
    {
        std::string how = header ? "header row" : "no header row";
        how += "; delimiter " + delimiter_name(delim) + "; ";
        how += describe_plan(plan, names);
        ctx.set_mapping(how);
    }

    // Main pass.
    const std::size_t expected = header ? names.size() : ncols;
    std::size_t needed = static_cast<std::size_t>(plan.text) + 1;
    for (int l : plan.labels) needed = std::max(needed, static_cast<std::size_t>(l) + 1);
    CsvParser p(text, delim, settings.quoting, max_field);
    CsvRow row;
    RowStatus st;
    bool header_pending = header;
    std::vector<std::string_view> levels;
    std::size_t unterminated = 0;
    while ((st = p.next(row)) != RowStatus::kEnd) {
        if (st == RowStatus::kUnterminated) {
            const std::size_t at = p.unterminated_line();
            std::string reason = "unterminated quote: the quoted field opened on line " +
                                 std::to_string(at) + " is never closed; the row is skipped";
            if (++unterminated == 1) {
                ctx.warn("line " + std::to_string(at) + ": " + reason +
                         " and reading resumes on line " + std::to_string(at + 1));
            }
            ctx.skip(at, reason);
            header_pending = false;
            continue;
        }
        if (row.blank()) continue;
        if (header_pending) {
            header_pending = false;
            continue;
        }
        const std::size_t nf = row.fields.size();
        if (row.long_field) {
            ctx.skip(row.line, "field " + std::to_string(row.long_field) + " is " +
                                   format_bytes(row.long_bytes) + ", over the limit of " +
                                   format_bytes(max_field) + " (max_field_bytes)");
            continue;
        }
        // Missing trailing cells are tolerated when the mapping does not need them.
        if (nf < needed) {
            ctx.skip(row.line, "row has " + std::to_string(nf) + " field(s), expected " +
                                   std::to_string(expected));
            continue;
        }
        if (nf > expected) {
            bool extra_empty = true;
            for (std::size_t k = expected; k < nf && extra_empty; ++k)
                extra_empty = trim(row.fields[k]).empty();
            if (!extra_empty) {
                ctx.skip(row.line, "row has " + std::to_string(nf) + " fields, expected " +
                                       std::to_string(expected) +
                                       " (an unquoted delimiter inside a field?)");
                continue;
            }
        }
        std::string_view body = row.fields[plan.text];
        if (trim(body).empty()) {
            ctx.skip(row.line, "empty text");
            continue;
        }
        levels.clear();
        for (int l : plan.labels) levels.push_back(row.fields[l]);
        std::string label =
            plan.labels.size() == 1 ? std::string(trim(levels[0])) : ctx.join_levels(levels);
        ctx.add(std::string(body), std::move(label), row.line);
    }
}

}  // namespace htc::ingest_detail
