// libFuzzer target: the PDF loader (header check, poppler-cpp load, lock check, page limit,
// text extraction) on raw bytes.
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    htc::fuzz::run_reader(data, size, "fuzz.pdf", false,
                          [](std::string_view bytes, htc::ingest_detail::ReadContext& ctx) {
                              htc::ingest_detail::read_pdf(bytes, ctx);
                          });
    return 0;
}
