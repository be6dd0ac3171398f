// libFuzzer target: the JSON reader (array, object holding a list, JSON Lines, depth limit)
// on decoded bytes. The first byte says whether the name was .jsonl.
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const bool jsonl = data[0] & 1;
    htc::fuzz::run_reader(data + 1, size - 1, jsonl ? "fuzz.jsonl" : "fuzz.json", true,
                          [&](std::string_view text, htc::ingest_detail::ReadContext& ctx) {
                              htc::ingest_detail::read_json(text, jsonl, ctx);
                          });
    return 0;
}
