#pragma once
// Per-thread recycling of the heap memory every proxied request makes and drops: the
// upstream request's bytes and the chunk that sends them, the answer's extra header
// lines, the exchange object itself. Steady traffic reuses what the last requests freed
// instead of asking malloc, on the shard's own thread, with no lock (Seastar's rule:
// memory belongs to the shard that made it). A thread keeps at most kKeep of each, and no
// string longer than kMaxKeptBytes, so what it holds back is bounded (512 KiB of strings).

#include <cstddef>
#include <string>

#include "sluice/core/buffer.h"

namespace sluice::core {

inline constexpr size_t kKeep = 32;
inline constexpr size_t kMaxKeptBytes = 16 * 1024;

// An empty string, with the capacity of one recycled on this thread when there is one.
std::string take_string();
// Gives `s`'s memory back for a later take_string(); too large, or too many kept: freed.
void recycle_string(std::string&& s);

// A slice over `bytes`, like Slice::copy_of, whose chunk recycles itself and its string
// on this thread when the last slice of it goes.
Slice recycled_slice(std::string&& bytes);

// Blocks of one fixed size (a class's operator new/delete): kept on this thread for the
// next object of that class, one list per size (four sizes at most; others use new).
void* take_block(size_t size);
void recycle_block(void* p, size_t size);

}  // namespace sluice::core
