// libFuzzer target: the TXT reader (fastText lines, label<TAB>text lines, whole-file
// documents) on decoded bytes, with and without a folder label.
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    htc::fuzz::run_reader(data, size, "fuzz.txt", true,
                          [](std::string_view text, htc::ingest_detail::ReadContext& ctx) {
                              htc::ingest_detail::read_txt(text, ctx);
                          });
    return 0;
}
