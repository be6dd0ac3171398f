// libFuzzer target: the CSV/TSV reader (delimiter sniffing, RFC 4180 quoting, header and
// column detection) on decoded bytes. The first byte picks the reader settings.
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t mode = data[0];
    htc::ingest_detail::CsvReadSettings st;
    st.preferred_delimiter = (mode & 1) ? '\t' : ',';
    st.quoting = (mode & 2) == 0;
    htc::fuzz::run_reader(data + 1, size - 1, "fuzz.csv", true,
                          [&](std::string_view text, htc::ingest_detail::ReadContext& ctx) {
                              htc::ingest_detail::read_csv(text, st, ctx);
                          });
    return 0;
}
