#include "sluice/core/recycle.h"

#include <sanitizer/asan_interface.h>

#include <new>
#include <utility>

namespace sluice::core {
namespace {

// Under AddressSanitizer what waits in a list is poisoned, so a use after the owner let
// it go is still reported, as it would be after a free (no-ops in other builds).
void poison(const void* p, size_t n) { ASAN_POISON_MEMORY_REGION(p, n); }
void unpoison(const void* p, size_t n) { ASAN_UNPOISON_MEMORY_REGION(p, n); }

// Freed at thread exit; by then every shard object of the thread is gone.
struct KeptStrings {
  std::string kept[kKeep];
  size_t n = 0;
  ~KeptStrings() {
    for (size_t i = 0; i < n; ++i) unpoison(kept[i].data(), kept[i].capacity() + 1);
  }
};
thread_local KeptStrings strings;

class RecycledChunk;
struct KeptChunks {
  RecycledChunk* kept[kKeep];
  size_t n = 0;
  ~KeptChunks();
};
thread_local KeptChunks chunks;

class RecycledChunk final : public Chunk {
 public:
  std::string bytes;
  size_t footprint() const override { return sizeof(*this) + bytes.capacity(); }
  void release() override {
    recycle_string(std::move(bytes));
    bytes = std::string();
    charged_to = nullptr;
    charged_slices = 0;
    if (chunks.n < kKeep) {
      chunks.kept[chunks.n++] = this;
      poison(this, sizeof(*this));
      return;
    }
    delete this;
  }
  ~RecycledChunk() override = default;
};

KeptChunks::~KeptChunks() {
  for (size_t i = 0; i < n; ++i) {
    unpoison(kept[i], sizeof(RecycledChunk));
    delete kept[i];
  }
  n = 0;
}

// One free list per block size in use (a handful of classes use it).
struct KeptBlocks {
  struct List {
    size_t size = 0;
    void* kept[kKeep];
    size_t n = 0;
  };
  List lists[4];
  ~KeptBlocks() {
    for (List& l : lists)
      for (size_t i = 0; i < l.n; ++i) {
        unpoison(l.kept[i], l.size);
        ::operator delete(l.kept[i]);
      }
  }
  List* list(size_t size) {
    for (List& l : lists) {
      if (l.size == size) return &l;
      if (l.size == 0) {
        l.size = size;
        return &l;
      }
    }
    return nullptr;  // more sizes than lists: plain new/delete
  }
};
thread_local KeptBlocks blocks;

}  // namespace

std::string take_string() {
  if (strings.n == 0) return {};
  std::string& s = strings.kept[--strings.n];
  unpoison(s.data(), s.capacity() + 1);
  return std::move(s);
}

void recycle_string(std::string&& s) {
  if (s.capacity() <= 15 || s.capacity() > kMaxKeptBytes || strings.n == kKeep) return;
  s.clear();
  poison(s.data(), s.capacity() + 1);
  strings.kept[strings.n++] = std::move(s);
}

Slice recycled_slice(std::string&& bytes) {
  RecycledChunk* c = nullptr;
  if (chunks.n > 0) {
    c = chunks.kept[--chunks.n];
    unpoison(c, sizeof(RecycledChunk));
  } else {
    c = new RecycledChunk;
  }
  c->bytes = std::move(bytes);
  return Slice(c, c->bytes.data(), c->bytes.size());
}

void* take_block(size_t size) {
  KeptBlocks::List* l = blocks.list(size);
  if (l && l->n > 0) {
    void* p = l->kept[--l->n];
    unpoison(p, size);
    return p;
  }
  return ::operator new(size);
}

void recycle_block(void* p, size_t size) {
  KeptBlocks::List* l = blocks.list(size);
  if (l && l->n < kKeep) {
    l->kept[l->n++] = p;
    poison(p, size);
    return;
  }
  ::operator delete(p);
}

}  // namespace sluice::core
