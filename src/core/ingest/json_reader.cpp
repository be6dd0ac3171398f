// JSON / JSON Lines reader.
//
// Accepted format (quoted in the README):
// - A JSON array of objects: `[{"text": "...", "label": "A/B"}, ...]`.
// - An object holding the list under any key whose value is an array of objects ("data",
//   "records", "items", "rows", "documents", "examples" are tried first, then the first such
//   key in file order, then one level deeper). A single object with a text field is one record.
// - JSON Lines: one object per line, LF or CRLF, blank lines ignored; detected by the .jsonl /
//   .ndjson name or, for a .json name, when the first line is a complete value followed by more.
//   A bad line is skipped with its line number; the other lines load.
// - Fields by name, case-insensitive (the same names as CSV headers; see ingest.cpp), or by
//   1-based key position in file order. The label may be a string path ("A/B"), an array of
//   segments (["A", "B"]) or separate level fields (l1, l2 / Domain, area), joined with
//   label_sep. A text given as an array of strings is joined with line breaks.
// - Nesting deeper than max_json_depth is refused before parsing ("nested too deeply"), by a
//   scan of bracket depth outside strings, so no parser ever recurses on hostile input.
// - Syntax errors are reported with line, column and byte offset.
// - Every record carries the 1-based line where its object starts.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "ingest/readers.h"
#include "text/encoding.h"

namespace htc::ingest_detail {
namespace {

using Json = nlohmann::ordered_json;

// 1-based line and column of byte offsets, from one index of line starts.
class LineIndex {
  public:
    explicit LineIndex(std::string_view s) {
        starts_.push_back(0);
        for (std::size_t i = 0; i < s.size(); ++i) {
            if (s[i] == '\n' || (s[i] == '\r' && (i + 1 >= s.size() || s[i + 1] != '\n')))
                starts_.push_back(i + 1);
        }
    }
    std::size_t line(std::size_t off) const {
        return std::upper_bound(starts_.begin(), starts_.end(), off) - starts_.begin();
    }
    std::size_t column(std::size_t off) const { return off - starts_[line(off) - 1] + 1; }

  private:
    std::vector<std::size_t> starts_;
};

// Offset where the nesting first exceeds `max_depth`, or npos.
std::size_t find_too_deep(std::string_view s, std::size_t max_depth) {
    std::size_t depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth) return i;
        } else if ((c == ']' || c == '}') && depth > 0) {
            // JSON Lines restart at depth 0 on each line; an unbalanced close is a syntax error
            // that the parser reports.
            --depth;
        }
    }
    return std::string_view::npos;
}

std::string one_line(std::string s) {
    for (char& c : s) {
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    }
    return utf8_replace_invalid(s);
}

// "syntax error while parsing value - ..." from nlohmann's message, without its prefix.
std::string parse_error_detail(const Json::parse_error& e) {
    std::string what = e.what();
    std::size_t at = what.find("parse error");
    if (at != std::string::npos) {
        std::size_t colon = what.find(": ", at);
        if (colon != std::string::npos) return one_line(what.substr(colon + 2));
    }
    return one_line(what);
}

// Other errors the parser raises on syntactically valid text: a number too large for a double
// ("1e999" -> out_of_range.406). "[json.exception.out_of_range.406] number overflow parsing
// '1e999'" -> "number overflow parsing '1e999' (too large for a number)".
std::string other_error_detail(const Json::exception& e) {
    std::string what = e.what();
    std::size_t close = what.find("] ");
    if (what.rfind("[json.exception.", 0) == 0 && close != std::string::npos)
        what = what.substr(close + 2);
    if (e.id == 406) what += " (too large for a number)";
    return one_line(utf8_replace_invalid(what));
}

// ---- Positions of records in the text (the DOM keeps none) ---------------------------------

std::size_t skip_ws(std::string_view s, std::size_t i) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
    return i;
}

std::size_t skip_string(std::string_view s, std::size_t i) {  // i on the opening quote
    for (++i; i < s.size(); ++i) {
        if (s[i] == '\\') {
            ++i;
        } else if (s[i] == '"') {
            return i + 1;
        }
    }
    return s.size();
}

std::size_t skip_value(std::string_view s, std::size_t i) {
    if (i >= s.size()) return i;
    if (s[i] == '"') return skip_string(s, i);
    if (s[i] == '[' || s[i] == '{') {
        std::size_t depth = 0;
        for (; i < s.size(); ++i) {
            char c = s[i];
            if (c == '"') {
                i = skip_string(s, i) - 1;
            } else if (c == '[' || c == '{') {
                ++depth;
            } else if (c == ']' || c == '}') {
                if (--depth == 0) return i + 1;
            }
        }
        return s.size();
    }
    while (i < s.size() && s[i] != ',' && s[i] != ']' && s[i] != '}' && s[i] != ' ' &&
           s[i] != '\n' && s[i] != '\r' && s[i] != '\t')
        ++i;
    return i;
}

struct Child {
    std::string key;  // objects only, unescaped
    std::size_t offset;
};

// Direct children of the container that opens at `open` (already known to be valid JSON).
std::vector<Child> children(std::string_view s, std::size_t open) {
    std::vector<Child> out;
    if (open >= s.size()) return out;
    const bool object = s[open] == '{';
    std::size_t i = skip_ws(s, open + 1);
    while (i < s.size() && s[i] != ']' && s[i] != '}') {
        Child c;
        if (object) {
            std::size_t end = skip_string(s, i);
            std::string_view raw = s.substr(i, end - i);
            if (raw.find('\\') == std::string_view::npos && raw.size() >= 2) {
                c.key = std::string(raw.substr(1, raw.size() - 2));
            } else {
                c.key = Json::parse(raw, nullptr, false).get<std::string>();
            }
            i = skip_ws(s, end);
            if (i < s.size() && s[i] == ':') ++i;
            i = skip_ws(s, i);
        }
        c.offset = i;
        out.push_back(std::move(c));
        i = skip_ws(s, skip_value(s, i));
        if (i < s.size() && s[i] == ',') i = skip_ws(s, i + 1);
        if (out.back().offset == i) break;  // no progress: malformed, stop
    }
    return out;
}

// ---- Records from objects -------------------------------------------------------------------

bool is_record_list(const Json& v) {
    if (!v.is_array() || v.empty()) return false;
    return std::any_of(v.begin(), v.end(), [](const Json& e) { return e.is_object(); });
}

// Key path to the list of records inside an object, or empty when there is none.
bool find_record_list(const Json& obj, int depth_left, std::vector<std::string>& path) {
    static const char* preferred[] = {"data",      "records",  "items",   "rows",
                                      "documents", "examples", "samples", "entries"};
    for (const char* want : preferred) {
        for (auto it = obj.begin(); it != obj.end(); ++it) {
            if (normalize_name(it.key()) == want && is_record_list(it.value())) {
                path.push_back(it.key());
                return true;
            }
        }
    }
    for (auto it = obj.begin(); it != obj.end(); ++it) {
        if (is_record_list(it.value())) {
            path.push_back(it.key());
            return true;
        }
    }
    if (depth_left > 0) {
        for (auto it = obj.begin(); it != obj.end(); ++it) {
            if (!it.value().is_object()) continue;
            path.push_back(it.key());
            if (find_record_list(it.value(), depth_left - 1, path)) return true;
            path.pop_back();
        }
    }
    return false;
}

std::string scalar_text(const Json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_null()) return "";
    if (v.is_number() || v.is_boolean()) return v.dump();
    return "";
}

class ObjectMapper {
  public:
    explicit ObjectMapper(ReadContext& ctx, std::string where = "")
        : ctx_(ctx), where_(std::move(where)) {}

    void map(const Json& obj, std::size_t line) {
        if (!obj.is_object()) {
            ctx_.skip(line, std::string("not a JSON object (found ") + obj.type_name() + ")");
            return;
        }
        keys_.clear();
        for (auto it = obj.begin(); it != obj.end(); ++it) keys_.push_back(it.key());
        if (keys_ != plan_keys_ || !plan_ready_) {
            plan_keys_ = keys_;
            plan_ = plan_from_names(keys_);
            plan_error_ = apply_overrides(ctx_.opts, keys_, keys_.size(), plan_);
            plan_ready_ = true;
            if (plan_error_.empty() && plan_.text >= 0 && !mapping_set_) {
                ctx_.set_mapping(where_ + describe_plan(plan_, keys_));
                mapping_set_ = true;
            }
        }
        if (!plan_error_.empty()) {
            ctx_.skip(line, plan_error_);
            return;
        }
        if (plan_.text < 0) {
            ++no_text_;
            ctx_.skip(line,
                      "no text field (looked for text, content, body, abstract, document, "
                      "description, sentence, ...)");
            return;
        }
        const Json& tv = obj.at(keys_[plan_.text]);
        std::string text;
        if (tv.is_array()) {
            for (const Json& part : tv) {
                if (!part.is_string()) continue;
                if (!text.empty()) text += '\n';
                text += part.get<std::string>();
            }
        } else if (tv.is_object()) {
            ctx_.skip(line, "the text field '" + keys_[plan_.text] + "' holds an object");
            return;
        } else {
            text = scalar_text(tv);
        }
        if (trim(text).empty()) {
            ctx_.skip(line, "empty text");
            return;
        }
        std::string label;
        if (plan_.labels.size() == 1) {
            const Json& lv = obj.at(keys_[plan_.labels[0]]);
            if (lv.is_array()) {
                std::vector<std::string> parts;
                for (const Json& p : lv) parts.push_back(scalar_text(p));
                label = ctx_.join_levels({parts.begin(), parts.end()});
            } else if (lv.is_object()) {
                ctx_.skip(line, "the label field '" + keys_[plan_.labels[0]] + "' holds an object");
                return;
            } else {
                label = std::string(trim(scalar_text(lv)));
            }
        } else if (!plan_.labels.empty()) {
            std::vector<std::string> parts;
            for (int l : plan_.labels) parts.push_back(scalar_text(obj.at(keys_[l])));
            label = ctx_.join_levels({parts.begin(), parts.end()});
        }
        ctx_.add(std::move(text), std::move(label), line);
    }

    // Every object lacked a text field: one clear file-level message instead of N row reasons.
    void finish() {
        if (ctx_.records() == 0 && no_text_ > 0 && no_text_ == ctx_.skipped_total()) {
            ctx_.fail(
                "no text field in any record (looked for text, content, body, abstract, "
                "document, description, sentence, ...; name one with the text column "
                "option)");
        }
    }

  private:
    ReadContext& ctx_;
    std::string where_;  // prefix of the mapping line: where the records were found
    std::vector<std::string> keys_, plan_keys_;
    FieldPlan plan_;
    std::string plan_error_;
    bool plan_ready_ = false, mapping_set_ = false;
    std::size_t no_text_ = 0;
};

void read_lines(std::string_view text, ReadContext& ctx) {
    ctx.set_format("jsonl");
    ObjectMapper mapper(ctx, "JSON Lines; ");
    std::size_t line = 0, pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view l = text.substr(pos, end - pos);
        pos = end + 1;
        ++line;
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        if (trim(l).empty()) continue;
        try {
            Json v = Json::parse(l);
            mapper.map(v, line);
        } catch (const Json::parse_error& e) {
            ctx.skip(line, "invalid JSON at column " + std::to_string(e.byte) + ": " +
                               parse_error_detail(e));
        } catch (const Json::exception& e) {
            ctx.skip(line, "invalid JSON: " + other_error_detail(e));
        }
    }
    mapper.finish();
}

}  // namespace

void read_json(std::string_view text, bool jsonl_by_name, ReadContext& ctx) {
    ctx.set_format(jsonl_by_name ? "jsonl" : "json");
    const std::size_t start = skip_ws(text, 0);
    if (start >= text.size()) {
        ctx.warn(text.empty() ? "empty file" : "no JSON (the file holds only white space)");
        return;
    }
    const std::size_t deep = find_too_deep(text, ctx.opts.max_json_depth);
    if (deep != std::string_view::npos) {
        const LineIndex lines(text.substr(0, deep + 1));
        ctx.fail("nested too deeply: more than " + std::to_string(ctx.opts.max_json_depth) +
                 " levels of arrays/objects at line " + std::to_string(lines.line(deep)) +
                 ", column " + std::to_string(lines.column(deep)) + " (max_json_depth)");
        return;
    }
    if (jsonl_by_name) {
        read_lines(text, ctx);
        return;
    }

    const LineIndex lines(text);
    Json doc;
    try {
        doc = Json::parse(text);
    } catch (const Json::parse_error& e) {
        // A complete first line followed by more values is JSON Lines with a .json name.
        std::size_t eol = text.find('\n', start);
        if (eol != std::string_view::npos && e.byte > eol) {
            std::string_view first = text.substr(start, eol - start);
            if (Json::accept(first)) {
                read_lines(text, ctx);
                return;
            }
        }
        std::size_t off = e.byte > 0 ? std::min<std::size_t>(e.byte - 1, text.size()) : 0;
        ctx.fail("invalid JSON at line " + std::to_string(lines.line(off)) + ", column " +
                 std::to_string(lines.column(off)) + " (byte offset " + std::to_string(off) +
                 "): " + parse_error_detail(e));
        return;
    } catch (const Json::exception& e) {
        // Valid syntax the parser still cannot hold. A first line that parses on its own is
        // JSON Lines with a .json name: its lines are read one by one.
        std::size_t eol = text.find('\n', start);
        if (eol != std::string_view::npos && Json::accept(text.substr(start, eol - start))) {
            read_lines(text, ctx);
            return;
        }
        ctx.fail("invalid JSON: " + other_error_detail(e));
        return;
    }

    auto map_list = [&](ObjectMapper& mapper, const Json& list, std::size_t open) {
        std::vector<Child> kids = children(text, open);
        for (std::size_t k = 0; k < list.size(); ++k) {
            std::size_t line = k < kids.size() ? lines.line(kids[k].offset) : 0;
            mapper.map(list[k], line);
        }
    };

    if (doc.is_array()) {
        ObjectMapper mapper(ctx, "array of records; ");
        map_list(mapper, doc, start);
        mapper.finish();
    } else if (doc.is_object()) {
        std::vector<std::string> path;
        if (find_record_list(doc, 2, path)) {
            const Json* node = &doc;
            std::size_t open = start;
            for (const auto& key : path) {
                node = &node->at(key);
                for (const Child& c : children(text, open)) {
                    if (c.key == key) {
                        open = c.offset;
                        break;
                    }
                }
            }
            ObjectMapper mapper(ctx, "records under \"" + path.back() + "\"; ");
            map_list(mapper, *node, open);
            mapper.finish();
        } else {
            std::vector<std::string> keys;
            for (auto it = doc.begin(); it != doc.end(); ++it) keys.push_back(it.key());
            FieldPlan plan = plan_from_names(keys);
            if (plan.text < 0 && trim(ctx.opts.text_col).empty()) {
                ctx.fail(
                    "no list of records found: expected an array of objects, an object "
                    "holding one (under \"data\", \"records\", \"items\", ...), or JSON "
                    "Lines");
                return;
            }
            ObjectMapper mapper(ctx, "one record; ");
            mapper.map(doc, lines.line(start));
            mapper.finish();
        }
    } else {
        ctx.fail(std::string("no records: the JSON document is a ") + doc.type_name() +
                 ", expected an array of objects or JSON Lines");
    }
}

}  // namespace htc::ingest_detail
