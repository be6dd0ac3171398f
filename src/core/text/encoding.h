#pragma once
// Byte-level decoding of input files into valid UTF-8.
#include <string>
#include <string_view>

namespace htc {

bool is_valid_utf8(std::string_view s);

struct DecodedText {
    std::string text;      // always valid UTF-8, without a BOM
    std::string encoding;  // utf-8, utf-8-bom, utf-16le, utf-16be, cp1252
    std::string warning;   // non-empty when a fallback or a replacement was needed
    std::size_t invalid_offset = std::string_view::npos;  // first byte that was not UTF-8
};

// Detects the encoding of raw file bytes and returns UTF-8:
//  - UTF-8 BOM: exactly one leading BOM dropped;
//  - UTF-16 LE/BE with BOM, or without BOM when the zero-byte pattern is unmistakable;
//  - valid UTF-8 passed through;
//  - anything else is decoded as Windows-1252 (the documented fallback).
DecodedText decode_to_utf8(std::string_view bytes);
// The same, reusing the buffer when the bytes are already UTF-8 (no copy of a large file).
DecodedText decode_to_utf8(std::string&& bytes);

// Replaces every invalid UTF-8 sequence with U+FFFD (for names and display data).
std::string utf8_replace_invalid(std::string_view s);

}  // namespace htc
