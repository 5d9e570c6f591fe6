//go:build linux && cgo

package camera

/*
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
static int pin_mmap_threshold(int bytes) { return mallopt(M_MMAP_THRESHOLD, bytes); }

// large_blocks_mapped frees a 4 MiB block (mapped on its own), then asks
// for 1 MiB: with glibc's dynamic threshold the freed size raised the
// threshold, so 1 MiB comes from the heap; with the threshold pinned at
// 128 KiB it is mapped on its own (one more mmapped block).
#if __GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33)
#define MAPPED_BLOCKS() (mallinfo2().hblks)
#else
#define MAPPED_BLOCKS() ((size_t)mallinfo().hblks)
#endif
static int large_blocks_mapped(void) {
	// Called through volatile pointers: a compiler may otherwise drop a
	// malloc whose block is only freed.
	void *(*volatile alloc)(size_t) = malloc;
	void (*volatile release)(void *) = free;
	release(alloc(4 << 20));
	size_t before = MAPPED_BLOCKS();
	void *p = alloc(1 << 20);
	size_t after = MAPPED_BLOCKS();
	release(p);
	return after > before;
}
#else
static int pin_mmap_threshold(int bytes) { return 0; }
static int large_blocks_mapped(void) { return 0; }
#endif
*/
import "C"

import "os"

// mmapThreshold is glibc's default: allocations from this size up (a
// frame, a packet, a decoder buffer) are mapped on their own and returned
// to the system when freed.
const mmapThreshold = 128 << 10

// pinMallocThreshold fixes glibc's mmap threshold for the process.
//
// By default glibc raises the threshold to the size of any mapped block
// that is freed (up to 32 MiB). OpenCV and FFmpeg free megabyte-sized
// buffers now and then (opening a source, seeking, a reconnect), after which
// every 720p frame-sized buffer comes from the malloc arenas instead, where
// it fragments among small allocations made by the reader, decoder and
// FFmpeg threads. Over an 18,000-frame 720p stream that showed as resident
// memory growing by 10–20 MB in steps while no Mat leaked and the Go heap
// stayed flat; with the threshold fixed it stays within ±2 MB (README,
// Camera and decoding). Setting it is what MALLOC_MMAP_THRESHOLD_=131072 in
// the environment does; an operator who set that variable keeps their value.
func pinMallocThreshold() bool {
	if _, set := os.LookupEnv("MALLOC_MMAP_THRESHOLD_"); set {
		return false
	}
	return C.pin_mmap_threshold(mmapThreshold) == 1
}

// largeBlocksMapped reports whether a megabyte-sized block is mapped on its
// own after a larger one was freed: true once the threshold is pinned.
func largeBlocksMapped() bool { return C.large_blocks_mapped() == 1 }
