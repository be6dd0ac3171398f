#pragma once
// Shared by the libFuzzer targets: runs one reader on in-memory bytes the way ingest_file does
// (decode to UTF-8, then the format reader) and aborts when an invariant breaks, so libFuzzer
// records the input. Invariants: no exception escapes, records and messages are valid UTF-8,
// the report's counters agree with the records, every record has a line number.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/readers.h"
#include "text/encoding.h"

namespace htc::fuzz {

inline void require(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "invariant broken: %s\n", what);
        std::abort();
    }
}

template <typename ReadFn>
void run_reader(const std::uint8_t* data, std::size_t size, const char* path, bool decode,
                ReadFn read) {
    IngestOptions opts;
    opts.max_json_depth = 64;      // small limits so the fuzzer reaches them
    opts.max_field_bytes = 4096;
    opts.max_pdf_pages = 50;
    opts.max_pdf_seconds = 5;
    std::vector<Record> out;
    FileReport rep;
    const std::string folder_label;  // ReadContext keeps a reference: must outlive it
    rep.path = path;
    std::string bytes(reinterpret_cast<const char*>(data), size);
    try {
        ingest_detail::ReadContext ctx(rep.path, opts, folder_label, out, rep);
        if (decode) {
            DecodedText d = decode_to_utf8(std::move(bytes));
            require(is_valid_utf8(d.text), "decoded text is not valid UTF-8");
            read(std::string_view(d.text), ctx);
        } else {
            read(std::string_view(bytes), ctx);
        }
        ctx.finish();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "exception escaped the reader: %s\n", e.what());
        std::abort();
    }
    if (rep.error.empty()) require(rep.records == out.size(), "records counter");
    std::size_t labelled = 0;
    for (const auto& r : out) {
        require(is_valid_utf8(r.text), "record text is not valid UTF-8");
        require(is_valid_utf8(r.label), "record label is not valid UTF-8");
        require(r.line >= 1, "record without a line number");
        labelled += !r.label.empty();
    }
    if (rep.error.empty()) require(rep.labelled == labelled, "labelled counter");
    require(is_valid_utf8(rep.error), "error is not valid UTF-8");
    for (const auto& w : rep.warnings) require(is_valid_utf8(w), "warning is not valid UTF-8");
    for (const auto& s : rep.skipped) require(is_valid_utf8(s.reason), "skip reason not UTF-8");
}

}  // namespace htc::fuzz
