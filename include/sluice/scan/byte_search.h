#pragma once
// The two searches every byte of a relayed stream goes through: the next line end (the
// SSE splitter) and a short needle such as `"usage"` (the extractors' pre-checks). They are
// vectorised (AVX2 where the CPU has it, else SSE2) because they run over every byte of
// every streamed response, and memchr cannot look for CR and LF at once.

#include <cstddef>
#include <string_view>

namespace sluice::scan {

// The first CR or LF in [begin, end), or `end` when there is none.
const char* find_line_end(const char* begin, const char* end);

// The offset of the first occurrence of `needle` in `haystack`, or npos. An empty needle
// is found at 0.
size_t find_bytes(std::string_view haystack, std::string_view needle);

}  // namespace sluice::scan
