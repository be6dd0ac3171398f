// libFuzzer target: the label-path parser. A parsed path has only non-empty, trimmed, valid
// UTF-8 segments without a separator, and parsing its canonical form gives the same path.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "model/taxonomy.h"
#include "text/encoding.h"

namespace {
void require(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "invariant broken: %s\n", what);
        std::abort();
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string s(reinterpret_cast<const char*>(data), size);
    std::string error;
    auto p = htc::parse_label_path(s, &error);
    if (!p) {
        require(!error.empty(), "refused without a reason");
        require(htc::is_valid_utf8(error), "error is not valid UTF-8");
        return 0;
    }
    require(!p->empty(), "empty path accepted");
    for (const auto& seg : p->segments) {
        require(!seg.empty(), "empty segment");
        require(htc::is_valid_utf8(seg), "segment is not valid UTF-8");
        require(seg.find('/') == std::string::npos, "separator inside a segment");
        require(seg.front() != ' ' && seg.back() != ' ', "segment not trimmed");
    }
    const std::string canon = p->str();
    auto again = htc::parse_label_path(canon);
    require(again.has_value(), "canonical form does not parse");
    require(again->str() == canon, "canonical form is not stable");
    return 0;
}
