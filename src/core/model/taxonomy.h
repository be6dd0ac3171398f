#pragma once
// Label paths and the label tree.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace htc {

// A canonical label path: trimmed, non-empty segments; spaces inside a segment are kept.
struct LabelPath {
    std::vector<std::string> segments;
    std::string str() const;  // segments joined with "/"
    bool empty() const { return segments.empty(); }
    bool operator==(const LabelPath& o) const { return segments == o.segments; }
    bool operator!=(const LabelPath& o) const { return !(*this == o); }
    bool operator<(const LabelPath& o) const { return segments < o.segments; }
};

// Parses "A/B/C" or "A > B > C" (also "A>B"). Segments are trimmed (Unicode spaces too).
// Empty segments ("A//B", "Science/") are rejected: returns nullopt and sets *error.
std::optional<LabelPath> parse_label_path(std::string_view s, std::string* error = nullptr);

// The label tree. Node 0 is the invisible root. Every distinct labelled path is a "class"
// (normally a leaf); its ancestors are nodes too.
class Taxonomy {
public:
    struct Node {
        std::string name;   // last segment ("" for the root)
        int parent = -1;
        int depth = 0;      // root 0, level-1 nodes 1, ...
        int class_id = -1;  // >= 0 when documents are labelled with exactly this path
        std::vector<int> children;
    };

    Taxonomy();
    // Adds the path (and its ancestors) when missing; returns its class id.
    int add(const LabelPath& path);
    // Class id of an existing path, or -1.
    int find_class(const LabelPath& path) const;
    int find_node(const LabelPath& path) const;
    LabelPath path_of_node(int node) const;
    LabelPath path_of_class(int class_id) const { return path_of_node(class_nodes_[class_id]); }
    int node_of_class(int class_id) const { return class_nodes_[class_id]; }
    int num_classes() const { return static_cast<int>(class_nodes_.size()); }
    int num_nodes() const { return static_cast<int>(nodes_.size()); }
    int max_depth() const;
    const Node& node(int i) const { return nodes_[i]; }
    // Number of nodes at depth d (1-based).
    std::vector<int> nodes_per_level() const;

    void to_json(nlohmann::json& j) const;
    static Taxonomy from_json(const nlohmann::json& j);

private:
    std::vector<Node> nodes_;
    std::vector<int> class_nodes_;
};

// A prediction walked down the tree: one entry per level with the probability mass of the
// chosen node's subtree.
struct PathPrediction {
    LabelPath path;
    std::vector<double> confidence;  // per level, non-increasing, each in [0, 1]
};

// Sums class probabilities up to every ancestor and walks from the root, at each level taking
// the child with the largest mass; stops early at the deepest level whose mass is below
// `min_confidence` (that level is not included) - but always returns at least level 1.
PathPrediction decode_path(const Taxonomy& tax, const std::vector<float>& class_probs,
                           double min_confidence = 0.0);

// Probability mass of every node (index = node id; root = sum of all).
std::vector<double> node_masses(const Taxonomy& tax, const std::vector<float>& class_probs);

}  // namespace htc
