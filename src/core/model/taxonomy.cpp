#include "model/taxonomy.h"

#include <utf8proc.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace htc {

namespace {

// Strict UTF-8 decoding of one code point at s[i]; on an invalid sequence returns U+FFFD and
// consumes the maximal invalid prefix (at least one byte), so labels always stay valid UTF-8
// (nlohmann::json refuses to dump invalid UTF-8).
char32_t next_code_point(std::string_view s, std::size_t& i) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    if (c < 0x80) {
        ++i;
        return c;
    }
    int len = 0;
    char32_t cp = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, cp = c & 0x0F;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, cp = c & 0x07;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        ++i;
        return 0xFFFD;
    }
    std::size_t k = i + 1;
    for (int n = 1; n < len; ++n, ++k) {
        if (k >= s.size() || b(k) < lo || b(k) > hi) {
            i = k;
            return 0xFFFD;
        }
        cp = (cp << 6) | (b(k) & 0x3F);
        lo = 0x80, hi = 0xBF;
    }
    i = k;
    return cp;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Invisible characters that would make two visually identical labels different classes.
bool is_invisible(char32_t cp) {
    return cp == 0x00AD || (cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || cp == 0xFEFF;
}

// Controls, line breaks and every Unicode space separator.
bool is_label_space(char32_t cp) {
    if (cp <= 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) return true;
    if (cp < 0xA0) return false;
    const auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
    return cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL ||
           cat == UTF8PROC_CATEGORY_ZP;
}

// One segment in canonical form: trimmed, inner space runs -> one ASCII space, invisible
// characters dropped, NFC (so a precomposed and a decomposed "é" are the same class).
std::string canonical_segment(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    bool pending_space = false, non_ascii = false;
    for (std::size_t i = 0; i < raw.size();) {
        const char32_t cp = next_code_point(raw, i);
        if (is_invisible(cp)) continue;
        if (is_label_space(cp)) {
            pending_space = !out.empty();
            continue;
        }
        if (pending_space) out += ' ';
        pending_space = false;
        non_ascii |= cp >= 0x80;
        append_utf8(out, cp);
    }
    if (!non_ascii) return out;
    utf8proc_uint8_t* nfc = nullptr;
    const auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(out.data()),
                                static_cast<utf8proc_ssize_t>(out.size()), &nfc,
                                static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
    if (n < 0 || nfc == nullptr) return out;  // cannot happen on valid UTF-8; keep the text
    std::string composed(reinterpret_cast<const char*>(nfc), static_cast<std::size_t>(n));
    std::free(nfc);
    return composed;
}

// The label as shown inside a one-line error message.
std::string quoted_for_error(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size() && out.size() < 120;) {
        const char32_t cp = next_code_point(s, i);
        append_utf8(out, (cp < 0x20 || cp == 0x7F) ? U' ' : cp);
    }
    if (out.size() >= 120) out += "...";
    return "'" + out + "'";
}

}  // namespace

std::string LabelPath::str() const {
    std::string out;
    for (std::size_t i = 0; i < segments.size(); ++i) {
        if (i) out += '/';
        out += segments[i];
    }
    return out;
}

// Canonical form of a label path (case C20):
//  - the separator is '/' when the string contains one, otherwise '>' ("A > B", "A>B"), so
//    "Science / Physics / Optics" and "Science > Physics > Optics" are the same path;
//  - each segment is trimmed of ASCII and Unicode spaces (NBSP, U+2028 ...), control
//    characters and zero-width characters; runs of spaces inside a segment are kept as one
//    ASCII space ("Computer  Science" -> "Computer Science"), case is kept, and the segment is
//    NFC-normalised;
//  - an empty segment ("A//B", "Science/", "/A") rejects the whole label rather than being
//    dropped: silently turning "Science//Optics" into "Science/Optics" would merge a typo into
//    a real class. A blank label is rejected too (callers treat "" as "no label" before this).
// The canonical string is LabelPath::str(): segments joined with "/".
std::optional<LabelPath> parse_label_path(std::string_view s, std::string* error) {
    const auto fail = [&](const std::string& msg) -> std::optional<LabelPath> {
        if (error) *error = msg;
        return std::nullopt;
    };
    const char sep = s.find('/') != std::string_view::npos ? '/' : '>';
    LabelPath path;
    std::size_t start = 0;
    while (true) {
        const std::size_t end = std::min(s.find(sep, start), s.size());
        std::string segment = canonical_segment(s.substr(start, end - start));
        if (segment.empty()) {
            if (path.segments.empty() && end == s.size()) {
                return fail("empty label path " + quoted_for_error(s));
            }
            return fail("empty segment in label path " + quoted_for_error(s));
        }
        path.segments.push_back(std::move(segment));
        if (end == s.size()) break;
        start = end + 1;
    }
    return path;
}

Taxonomy::Taxonomy() { nodes_.push_back(Node{}); }

namespace {

// Children are kept sorted by name so lookups are O(log n) even for flat taxonomies with
// thousands of classes; the order is also what makes ties in decode_path deterministic.
struct ChildLess {
    const std::vector<Taxonomy::Node>* nodes;
    bool operator()(int child, const std::string& name) const {
        return (*nodes)[child].name < name;
    }
};

}  // namespace

int Taxonomy::add(const LabelPath& path) {
    if (path.empty()) throw std::invalid_argument("cannot add an empty label path to the taxonomy");
    int cur = 0;
    for (const auto& seg : path.segments) {
        if (seg.empty()) {
            throw std::invalid_argument("empty segment in label path '" + path.str() + "'");
        }
        auto& kids = nodes_[cur].children;
        auto it = std::lower_bound(kids.begin(), kids.end(), seg, ChildLess{&nodes_});
        if (it != kids.end() && nodes_[*it].name == seg) {
            cur = *it;
            continue;
        }
        Node n;
        n.name = seg;
        n.parent = cur;
        n.depth = nodes_[cur].depth + 1;
        const int id = static_cast<int>(nodes_.size());
        const auto pos = it - kids.begin();
        kids.insert(kids.begin() + pos, id);  // before push_back: `kids` aliases nodes_
        nodes_.push_back(std::move(n));
        cur = id;
    }
    if (nodes_[cur].class_id < 0) {
        nodes_[cur].class_id = static_cast<int>(class_nodes_.size());
        class_nodes_.push_back(cur);
    }
    return nodes_[cur].class_id;
}

int Taxonomy::find_node(const LabelPath& path) const {
    if (path.empty()) return -1;
    int cur = 0;
    for (const auto& seg : path.segments) {
        const auto& kids = nodes_[cur].children;
        auto it = std::lower_bound(kids.begin(), kids.end(), seg, ChildLess{&nodes_});
        if (it == kids.end() || nodes_[*it].name != seg) return -1;
        cur = *it;
    }
    return cur;
}

int Taxonomy::find_class(const LabelPath& path) const {
    const int n = find_node(path);
    return n < 0 ? -1 : nodes_[n].class_id;
}

LabelPath Taxonomy::path_of_node(int node) const {
    LabelPath p;
    if (node <= 0 || node >= num_nodes()) return p;
    for (int cur = node; cur > 0; cur = nodes_[cur].parent) p.segments.push_back(nodes_[cur].name);
    std::reverse(p.segments.begin(), p.segments.end());
    return p;
}

int Taxonomy::max_depth() const {
    int d = 0;
    for (const auto& n : nodes_) d = std::max(d, n.depth);
    return d;
}

std::vector<int> Taxonomy::nodes_per_level() const {
    std::vector<int> counts(static_cast<std::size_t>(max_depth()), 0);
    for (const auto& n : nodes_) {
        if (n.depth > 0) ++counts[static_cast<std::size_t>(n.depth - 1)];
    }
    return counts;
}

// Stored as the class paths in class-id order (each as an array of segments, so a segment can
// never be split differently on reload). Replaying add() in that order rebuilds the same node
// and class ids, because every add() that creates nodes also creates a class.
void Taxonomy::to_json(nlohmann::json& j) const {
    nlohmann::json classes = nlohmann::json::array();
    for (int c = 0; c < num_classes(); ++c) classes.push_back(path_of_class(c).segments);
    j = nlohmann::json{{"format", "htc-taxonomy"}, {"version", 1}, {"classes", classes}};
}

Taxonomy Taxonomy::from_json(const nlohmann::json& j) {
    if (!j.is_object() || !j.contains("classes") || !j["classes"].is_array()) {
        throw std::runtime_error("taxonomy: expected an object with a \"classes\" array");
    }
    Taxonomy t;
    const auto& classes = j["classes"];
    for (std::size_t c = 0; c < classes.size(); ++c) {
        const auto& entry = classes[c];
        const std::string where = "taxonomy: class " + std::to_string(c);
        if (!entry.is_array() || entry.empty()) {
            throw std::runtime_error(where + " is not a non-empty array of segments");
        }
        LabelPath p;
        for (const auto& seg : entry) {
            if (!seg.is_string() || seg.get_ref<const std::string&>().empty()) {
                throw std::runtime_error(where + " has an empty or non-string segment");
            }
            p.segments.push_back(seg.get<std::string>());
        }
        if (t.find_class(p) >= 0) {
            throw std::runtime_error(where + " repeats the path '" + p.str() + "'");
        }
        t.add(p);
    }
    return t;
}

std::vector<double> node_masses(const Taxonomy& tax, const std::vector<float>& class_probs) {
    if (static_cast<int>(class_probs.size()) != tax.num_classes()) {
        throw std::invalid_argument("node_masses: " + std::to_string(class_probs.size()) +
                                    " probabilities for " + std::to_string(tax.num_classes()) +
                                    " classes");
    }
    std::vector<double> mass(static_cast<std::size_t>(tax.num_nodes()), 0.0);
    for (int c = 0; c < tax.num_classes(); ++c) {
        const float p = class_probs[static_cast<std::size_t>(c)];
        // NaN and negative scores carry no mass; anything else would leak out as confidence.
        if (p > 0.0f && std::isfinite(p)) mass[static_cast<std::size_t>(tax.node_of_class(c))] += p;
    }
    // Parents always have smaller ids than their children (add() creates ancestors first), so
    // one backward sweep accumulates every subtree.
    for (int n = tax.num_nodes() - 1; n > 0; --n) {
        mass[static_cast<std::size_t>(tax.node(n).parent)] += mass[static_cast<std::size_t>(n)];
    }
    return mass;
}

PathPrediction decode_path(const Taxonomy& tax, const std::vector<float>& class_probs,
                           double min_confidence) {
    const std::vector<double> mass = node_masses(tax, class_probs);
    PathPrediction out;
    double previous = 1.0;
    int cur = 0;
    while (true) {
        const auto& node = tax.node(cur);
        if (node.children.empty()) break;
        int best = -1;
        for (int child : node.children) {
            if (best < 0 ||
                mass[static_cast<std::size_t>(child)] > mass[static_cast<std::size_t>(best)]) {
                best = child;
            }
        }
        const double best_mass = mass[static_cast<std::size_t>(best)];
        // A class that also has sub-classes: the document may belong to the node itself.
        if (cur != 0 && node.class_id >= 0) {
            const float own = class_probs[static_cast<std::size_t>(node.class_id)];
            if (static_cast<double>(own) > best_mass) break;
        }
        if (!out.path.empty() && best_mass < min_confidence) break;
        // Float sums can exceed 1 by a few ulps; a child can never outweigh its parent.
        const double conf = std::clamp(std::min(best_mass, previous), 0.0, 1.0);
        out.path.segments.push_back(tax.node(best).name);
        out.confidence.push_back(conf);
        previous = conf;
        cur = best;
    }
    return out;
}

}  // namespace htc
