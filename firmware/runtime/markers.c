#include "tinyforge/markers.h"

/* noinline + noclone keep a single entry address the emulator can match;
 * the volatile asm with a memory clobber stops GCC from treating the call as
 * pure (and deleting it) or moving memory accesses across it. */
__attribute__((noinline, noclone, used)) void tf_marker_begin(void)
{
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline, noclone, used)) void tf_marker_end(void)
{
    __asm__ volatile("" ::: "memory");
}
