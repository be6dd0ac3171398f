#pragma once
// Text formatting shared by the tabs (no ImGui here, so the rules are unit-tested).
#include <cstdint>
#include <string>

namespace htc::app {

// The seed's formatFileSize: 1024 steps, at most two decimals with trailing zeros dropped
// ("0 Bytes", "1000 Bytes", "1.5 KB", "1 MB"). Unlike the seed, sizes past 1024 GB stay in
// "TB" instead of printing "undefined".
std::string format_file_size(std::uint64_t bytes);

// First 8 characters of a job id followed by "..." (the seed's history table).
std::string short_job_id(const std::string& job_id);

// "42 s", "3 min 05 s", "2 h 07 min"; "-" for a negative value.
std::string format_duration(double seconds);

// ISO 8601 ("2026-12-03T18:47:57.123+00:00"; without an offset it is local time, as the seed
// wrote it) shown in local time as "2026-12-03 19:47:57". Returns the input unchanged when it
// cannot be parsed.
std::string iso_to_local(const std::string& iso);
// Seconds since the epoch, or -1 when it cannot be parsed.
double iso_to_epoch(const std::string& iso);

// Upper-case extension without the dot ("CSV"), "Folder" for directories, "?" when none.
std::string file_type_label(const std::string& path, bool is_folder);

// Cuts a UTF-8 string to at most `max_chars` code points, adding "..." when it was longer.
std::string truncate_utf8(const std::string& s, std::size_t max_chars);

// Last path component ("/a/b/c.csv" -> "c.csv"; a trailing slash is ignored).
std::string base_name(const std::string& path);

}  // namespace htc::app
