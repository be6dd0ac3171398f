// libFuzzer target: the upload-name sanitizer. Whatever the name, the stored name is one
// non-empty path component that stays inside its folder: no separator, no leading dot, no
// control or reserved character, valid UTF-8, at most 180 bytes, and stable when sanitized
// again.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "jobs/upload_store.h"
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
    std::string name(reinterpret_cast<const char*>(data), size);
    std::string s = htc::jobs::safe_file_name(name);
    require(!s.empty(), "empty name");
    require(s.size() <= 180, "longer than 180 bytes");
    require(htc::is_valid_utf8(s), "not valid UTF-8");
    require(s.front() != '.', "leading dot");
    require(s != "." && s != "..", "dot name");
    for (unsigned char c : s) {
        require(c >= 0x20 && c != 0x7f, "control character");
        require(c != '/' && c != '\\' && c != ':' && c != '<' && c != '>' && c != '"' &&
                    c != '|' && c != '?' && c != '*',
                "reserved character");
    }
    require(s.back() != '.' && s.back() != ' ', "trailing dot or space");
    require(htc::jobs::safe_file_name(s) == s, "not stable when sanitized again");
    return 0;
}
