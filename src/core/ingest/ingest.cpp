// Feedback-file ingestion: the dispatcher (size check, decoding, format by extension), the
// folder walk, and the field-name detection shared by the CSV/TSV and JSON readers.
//
// Rules (quoted in the README):
// - Formats by extension: .csv, .tsv/.tab, .json, .jsonl/.ndjson, .txt, .pdf (case-insensitive).
// - The size limit (max_file_size) is checked with stat() before a byte is read.
// - Text files are decoded first (text/encoding.h): UTF-8 with or without BOM, UTF-16 LE/BE,
//   else Windows-1252 as the fallback, reported as encoding "cp1252" with a warning.
// - Folders are walked recursively in sorted (byte-wise) order; hidden entries (".name") and
//   Office lock files ("~$name") are skipped; files of other types are listed with a warning.
//   A file below a dropped folder that carries no label of its own gets the sub-folder path
//   (joined with label_sep) as its label: bbc/tech/001.txt dropped as bbc/ -> "tech".
// - Record::order is the record's position in the output, so a later file is "newer".
// - Field names (case-insensitive): text = text, content, body, abstract, document,
//   description, sentence, article, message, review; label = label, labels, label_path,
//   category, categories, class, path, topic. Level columns joined into a path in level order:
//   l1.., level1.., lvl1.., cat1.., category1.., label1.., class1.. and the pairs
//   Domain+area, category+subcategory, topic+subtopic, section+subsection, class+subclass.
#include "ingest/ingest.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <new>

#include "ingest/readers.h"
#include "progress.h"
#include "text/encoding.h"

namespace htc {
namespace fs = std::filesystem;
using namespace ingest_detail;

namespace ingest_detail {

// ---- ReadContext ---------------------------------------------------------------------------

void ReadContext::add(std::string text, std::string label, std::size_t line) {
    Record r;
    r.text = std::move(text);
    r.label = label.empty() ? folder_label : std::move(label);
    r.source = path;
    r.line = line;
    r.order = static_cast<std::int64_t>(out_.size());
    ++report_.records;
    if (!r.label.empty()) ++report_.labelled;
    out_.push_back(std::move(r));
}

void ReadContext::skip(std::size_t line, std::string reason) {
    ++skipped_total_;
    if (report_.skipped.size() < kMaxListedSkips) {
        report_.skipped.push_back(SkippedRecord{line, std::move(reason)});
    }
}

void ReadContext::warn(std::string message) {
    report_.warnings.push_back(path + ": " + std::move(message));
}

void ReadContext::fail(std::string message) {
    if (report_.error.empty()) report_.error = path + ": " + std::move(message);
}

std::string ReadContext::join_levels(const std::vector<std::string_view>& levels) {
    const std::string& sep = opts.label_sep;
    std::string out;
    for (std::string_view v : levels) {
        v = trim(v);
        if (v.empty()) continue;
        if (!out.empty()) out += sep;
        if (sep.empty() || v.find(sep) == std::string_view::npos) {
            out.append(v.data(), v.size());
            continue;
        }
        std::string fixed(v);
        for (std::size_t at = 0; (at = fixed.find(sep, at)) != std::string::npos; ++at)
            fixed.replace(at, sep.size(), "-");
        if (separator_fixes_++ == 0)
            separator_example_ = "'" + std::string(v) + "' -> '" + fixed + "'";
        out += fixed;
    }
    return out;
}

void ReadContext::finish() {
    if (separator_fixes_) {
        warn(std::to_string(separator_fixes_) + " label level value(s) contained the separator '" +
             opts.label_sep + "', replaced by '-' to keep them one level (" + separator_example_ +
             ")");
    }
    if (skipped_total_ > report_.skipped.size()) {
        warn(std::to_string(skipped_total_) + " rows skipped; the first " +
             std::to_string(report_.skipped.size()) + " are listed");
    }
}

// ---- Names ---------------------------------------------------------------------------------

std::string_view trim(std::string_view s) {
    auto space = [](char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
    };
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return s;
}

std::string normalize_name(std::string_view name) {
    name = trim(name);
    std::string out(name);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

bool looks_numeric(std::string_view s) {
    s = trim(s);
    if (s.empty()) return false;
    std::size_t i = 0;
    if (s[i] == '+' || s[i] == '-') ++i;
    bool digits = false, dot = false;
    for (; i < s.size(); ++i) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            digits = true;
        } else if (c == '.' && !dot) {
            dot = true;
        } else if ((c == 'e' || c == 'E') && digits && i + 1 < s.size()) {
            std::size_t j = i + 1;
            if (s[j] == '+' || s[j] == '-') ++j;
            if (j >= s.size()) return false;
            for (; j < s.size(); ++j) {
                if (s[j] < '0' || s[j] > '9') return false;
            }
            return true;
        } else {
            return false;
        }
    }
    return digits;
}

namespace {

const std::vector<std::string> kTextNames = {"text",     "content",     "body",     "abstract",
                                             "document", "description", "sentence", "article",
                                             "message",  "review"};
const std::vector<std::string> kLabelNames = {"label",      "labels", "label_path", "category",
                                              "categories", "class",  "path",       "topic"};
const std::vector<std::string> kLevelPrefixes = {"l",   "lv",       "lvl",   "level",
                                                 "cat", "category", "label", "class"};
const std::vector<std::vector<std::string>> kLevelFamilies = {{"domain", "area"},
                                                              {"category", "subcategory"},
                                                              {"topic", "subtopic"},
                                                              {"section", "subsection"},
                                                              {"class", "subclass"}};

// Level number of a name like "l2", "Level_3", "Cat1"; 0 when it is not one.
int level_number(const std::string& n) {
    std::size_t d = n.size();
    while (d > 0 && n[d - 1] >= '0' && n[d - 1] <= '9') --d;
    if (d == n.size() || n.size() - d > 3) return 0;
    std::string prefix = n.substr(0, d);
    while (!prefix.empty() &&
           (prefix.back() == '_' || prefix.back() == '-' || prefix.back() == ' '))
        prefix.pop_back();
    if (std::find(kLevelPrefixes.begin(), kLevelPrefixes.end(), prefix) == kLevelPrefixes.end())
        return 0;
    return std::stoi(n.substr(d));
}

bool is_family_name(const std::string& n) {
    for (const auto& fam : kLevelFamilies) {
        if (std::find(fam.begin(), fam.end(), n) != fam.end()) return true;
    }
    return false;
}

}  // namespace

bool is_text_name(const std::string& n) {
    return std::find(kTextNames.begin(), kTextNames.end(), n) != kTextNames.end();
}

bool is_label_name(const std::string& n) {
    return std::find(kLabelNames.begin(), kLabelNames.end(), n) != kLabelNames.end();
}

bool has_known_field_name(const std::vector<std::string>& names) {
    for (const auto& raw : names) {
        std::string n = normalize_name(raw);
        if (is_text_name(n) || is_label_name(n) || level_number(n) > 0 || is_family_name(n))
            return true;
    }
    return false;
}

std::string describe_plan(const FieldPlan& plan, const std::vector<std::string>& names) {
    auto name_of = [&](int i) {
        if (i >= 0 && static_cast<std::size_t>(i) < names.size() && !trim(names[i]).empty())
            return std::string(trim(names[i]));
        return "column " + std::to_string(i + 1);
    };
    std::string s = "text = " + (plan.text >= 0 ? name_of(plan.text) : std::string("(none)"));
    s += "; label = ";
    if (plan.labels.empty()) s += "(none)";
    for (std::size_t k = 0; k < plan.labels.size(); ++k) {
        if (k) s += " + ";
        s += name_of(plan.labels[k]);
    }
    return s;
}

FieldPlan plan_from_names(const std::vector<std::string>& names) {
    FieldPlan plan;
    std::vector<std::string> norm;
    norm.reserve(names.size());
    for (const auto& n : names) norm.push_back(normalize_name(n));
    auto find = [&](const std::string& want) -> int {
        for (std::size_t i = 0; i < norm.size(); ++i) {
            if (norm[i] == want) return static_cast<int>(i);
        }
        return -1;
    };

    for (const auto& alias : kTextNames) {
        if ((plan.text = find(alias)) >= 0) break;
    }

    // A named pair of levels (Domain + area) beats a single label column: "category" alone is
    // a label, but next to "subcategory" it is the first level.
    for (const auto& fam : kLevelFamilies) {
        std::vector<int> idx;
        for (const auto& member : fam) {
            int i = find(member);
            if (i < 0 || i == plan.text) break;
            idx.push_back(i);
        }
        if (idx.size() >= 2) {
            plan.labels = idx;
            break;
        }
    }
    if (plan.labels.empty()) {
        std::vector<std::pair<int, int>> levels;  // (level, column)
        for (std::size_t i = 0; i < norm.size(); ++i) {
            if (static_cast<int>(i) == plan.text) continue;
            if (int lv = level_number(norm[i])) levels.emplace_back(lv, static_cast<int>(i));
        }
        std::sort(levels.begin(), levels.end());
        if (levels.size() >= 2) {
            for (const auto& [lv, col] : levels) plan.labels.push_back(col);
        } else {
            for (const auto& alias : kLabelNames) {
                int i = find(alias);
                if (i >= 0 && i != plan.text) {
                    plan.labels.push_back(i);
                    break;
                }
            }
            if (plan.labels.empty() && levels.size() == 1) plan.labels.push_back(levels[0].second);
        }
    }
    plan.how = describe_plan(plan, names);
    return plan;
}

std::string apply_overrides(const IngestOptions& opts, const std::vector<std::string>& names,
                            std::size_t column_count, FieldPlan& plan) {
    auto resolve = [&](std::string_view spec, int& out) -> std::string {
        spec = trim(spec);
        bool digits = !spec.empty() && std::all_of(spec.begin(), spec.end(),
                                                   [](char c) { return c >= '0' && c <= '9'; });
        if (digits) {
            std::size_t pos = spec.size() > 9 ? 0 : std::stoul(std::string(spec));
            if (pos < 1 || pos > column_count) {
                return "column position " + std::string(spec) + " is out of range (the file has " +
                       std::to_string(column_count) + " column(s))";
            }
            out = static_cast<int>(pos - 1);
            return "";
        }
        std::string want = normalize_name(spec);
        for (std::size_t i = 0; i < names.size(); ++i) {
            if (normalize_name(names[i]) == want) {
                out = static_cast<int>(i);
                return "";
            }
        }
        if (names.empty()) {
            return "column '" + std::string(spec) +
                   "' not found: the file has no header row (give a 1-based position instead)";
        }
        std::string list;
        for (std::size_t i = 0; i < names.size() && i < 20; ++i) {
            list += (i ? ", " : "") + std::string(trim(names[i]));
        }
        return "column '" + std::string(spec) + "' not found (columns: " + list + ")";
    };

    if (!trim(opts.label_cols).empty()) {
        plan.labels.clear();
        std::string_view rest = opts.label_cols;
        while (true) {
            std::size_t comma = rest.find(',');
            std::string_view part = trim(rest.substr(0, comma));
            if (!part.empty()) {
                int col = -1;
                std::string err = resolve(part, col);
                if (!err.empty()) return "label column: " + err;
                plan.labels.push_back(col);
            }
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
        if (std::find(plan.labels.begin(), plan.labels.end(), plan.text) != plan.labels.end())
            plan.text = -1;  // re-detected by the caller among the other columns
    }
    if (!trim(opts.text_col).empty()) {
        int col = -1;
        std::string err = resolve(opts.text_col, col);
        if (!err.empty()) return "text column: " + err;
        if (std::find(plan.labels.begin(), plan.labels.end(), col) != plan.labels.end()) {
            if (!trim(opts.label_cols).empty())
                return "the text column '" + std::string(trim(opts.text_col)) +
                       "' is also a label column";
            plan.labels.erase(std::remove(plan.labels.begin(), plan.labels.end(), col),
                              plan.labels.end());
        }
        plan.text = col;
    }
    plan.how = describe_plan(plan, names);
    return "";
}

std::string format_bytes(std::uint64_t bytes) {
    const char* units[] = {"bytes", "KB", "MB", "GB", "TB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1024.0 && u < 4) {
        v /= 1024.0;
        ++u;
    }
    char buf[64];
    if (u == 0) {
        std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
    } else {
        std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
    }
    return buf;
}

}  // namespace ingest_detail

// ---- Dispatcher ----------------------------------------------------------------------------

namespace {

std::string lower_extension(const fs::path& p) {
    std::string ext = p.extension().string();
    for (char& c : ext) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return ext;
}

bool is_supported(const std::string& ext) {
    const auto& all = supported_extensions();
    return std::find(all.begin(), all.end(), ext) != all.end();
}

// Reads the whole file; stops past `limit` bytes, so a file that grew after stat() is caught.
bool read_file_bytes(const std::string& path, std::uint64_t expected, std::uint64_t limit,
                     std::string& out, std::string& error) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) {
        error = std::string("cannot open: ") + std::strerror(errno);
        return false;
    }
    // Read straight into the string: one allocation, no intermediate buffer.
    out.resize(static_cast<std::size_t>(expected) + 1);
    std::size_t got = std::fread(out.data(), 1, out.size(), f);
    out.resize(got);
    if (got > expected) {
        char buf[1 << 16];
        std::size_t n;
        while (out.size() <= limit && (n = std::fread(buf, 1, sizeof buf, f)) > 0)
            out.append(buf, n);
    }
    bool failed = std::ferror(f) != 0;
    std::fclose(f);
    if (failed) {
        error = "read error";
        return false;
    }
    return true;
}

void ingest_checked(const std::string& path, const IngestOptions& opts, std::vector<Record>& out,
                    const std::string& folder_label, FileReport& rep) {
    ReadContext ctx(path, opts, folder_label, out, rep);
    std::error_code ec;
    fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) {
        ctx.fail("file not found");
        return;
    }
    if (fs::is_directory(st)) {
        ctx.fail("is a folder, not a file");
        return;
    }
    if (!fs::is_regular_file(st)) {
        ctx.fail("not a regular file");
        return;
    }
    rep.size_bytes = fs::file_size(path, ec);
    if (ec) {
        ctx.fail("cannot read the file size: " + ec.message());
        return;
    }
    if (rep.size_bytes > opts.max_file_size) {
        ctx.fail("file is " + format_bytes(rep.size_bytes) + ", larger than the limit of " +
                 format_bytes(opts.max_file_size) + " (max_file_size)");
        return;
    }
    const std::string ext = lower_extension(path);
    if (!is_supported(ext)) {
        std::string list;
        for (const auto& e : supported_extensions()) list += (list.empty() ? "" : " ") + e;
        ctx.fail("unsupported file type '" + utf8_replace_invalid(ext) + "' (supported: " + list +
                 ")");
        return;
    }

    std::string bytes, err;
    if (!read_file_bytes(path, rep.size_bytes, opts.max_file_size, bytes, err)) {
        ctx.fail(err);
        return;
    }
    if (bytes.size() > opts.max_file_size) {
        ctx.fail("file grew past the limit of " + format_bytes(opts.max_file_size) +
                 " while being read (max_file_size)");
        return;
    }
    rep.size_bytes = bytes.size();

    if (ext == ".pdf") {
        rep.format = "pdf";
        rep.encoding = "";
        read_pdf(bytes, ctx);
        ctx.finish();
        return;
    }

    DecodedText decoded = decode_to_utf8(std::move(bytes));
    rep.encoding = decoded.encoding;
    if (!decoded.warning.empty()) ctx.warn(decoded.warning);

    if (ext == ".csv") {
        read_csv(decoded.text, CsvReadSettings{',', true, std::nullopt, ""}, ctx);
    } else if (ext == ".tsv" || ext == ".tab") {
        read_csv(decoded.text, CsvReadSettings{'\t', true, std::nullopt, ""}, ctx);
    } else if (ext == ".json" || ext == ".jsonl" || ext == ".ndjson") {
        read_json(decoded.text, ext != ".json", ctx);
    } else {
        read_txt(decoded.text, ctx);
    }
    ctx.finish();
}

std::string folder_label_for(const fs::path& relative_parent, const std::string& sep) {
    std::string label;
    for (const auto& part : relative_parent) {
        std::string s = utf8_replace_invalid(part.string());
        if (s.empty() || s == ".") continue;
        if (!label.empty()) label += sep;
        label += s;
    }
    return label;
}

bool is_hidden_name(const std::string& name) {
    return (!name.empty() && name[0] == '.') || name.rfind("~$", 0) == 0;
}

}  // namespace

const std::vector<std::string>& supported_extensions() {
    static const std::vector<std::string> exts = {".csv",   ".tsv",    ".tab", ".json",
                                                  ".jsonl", ".ndjson", ".txt", ".pdf"};
    return exts;
}

FileReport ingest_file(const std::string& path, const IngestOptions& opts, std::vector<Record>& out,
                       const std::string& folder_label) {
    FileReport rep;
    rep.path = path;
    const std::size_t before = out.size();
    try {
        ingest_checked(path, opts, out, folder_label, rep);
    } catch (const std::bad_alloc&) {
        rep.error = path + ": out of memory while reading the file";
    } catch (const std::exception& e) {
        rep.error = path + ": " + utf8_replace_invalid(e.what());
    } catch (...) {
        rep.error = path + ": unexpected error while reading the file";
    }
    if (!rep.error.empty()) {
        // A refused file contributes nothing, even when it failed half way.
        out.resize(before);
        rep.records = rep.labelled = 0;
    }
    return rep;
}

IngestResult ingest_paths(const std::vector<std::string>& paths, const IngestOptions& opts,
                          const std::atomic<bool>* cancel) {
    IngestResult res;
    for (const auto& p : paths) {
        throw_if_cancelled(cancel);
        std::error_code ec;
        if (!fs::is_directory(p, ec)) {
            res.files.push_back(ingest_file(p, opts, res.records));
            continue;
        }
        fs::path root = fs::path(p).lexically_normal();
        if (!root.has_filename() && root.has_parent_path()) root = root.parent_path();

        struct Entry {
            std::string rel;  // sort key
            fs::path path;
        };
        std::vector<Entry> files;
        std::vector<std::string> walk_errors;
        fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied,
                                            ec);
        if (ec) walk_errors.push_back(ec.message());
        for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            const fs::path& entry = it->path();
            std::string name = entry.filename().string();
            std::error_code ec2;
            bool dir = it->is_directory(ec2);
            if (is_hidden_name(name)) {
                if (dir) it.disable_recursion_pending();
                continue;
            }
            if (dir || !it->is_regular_file(ec2)) continue;
            files.push_back({entry.lexically_relative(root).generic_string(), entry});
        }
        if (ec) walk_errors.push_back(ec.message());
        std::sort(files.begin(), files.end(),
                  [](const Entry& a, const Entry& b) { return a.rel < b.rel; });

        for (const auto& f : files) {
            throw_if_cancelled(cancel);
            const std::string fpath = f.path.string();
            if (!is_supported(lower_extension(f.path))) {
                FileReport rep;
                rep.path = fpath;
                std::error_code ec3;
                rep.size_bytes = fs::file_size(f.path, ec3);
                rep.warnings.push_back(fpath + ": skipped: unsupported file type in folder " + p);
                res.files.push_back(std::move(rep));
                continue;
            }
            std::string label =
                folder_label_for(f.path.lexically_relative(root).parent_path(), opts.label_sep);
            res.files.push_back(ingest_file(fpath, opts, res.records, label));
        }
        if (!walk_errors.empty()) {
            FileReport rep;
            rep.path = p;
            rep.format = "folder";
            for (const auto& e : walk_errors)
                rep.warnings.push_back(p + ": folder not fully read: " + e);
            res.files.push_back(std::move(rep));
        }
    }
    return res;
}

}  // namespace htc
