/* The part of a pooling window that lies inside the input, as TFLite's
 * reference pooling computes it (filter_{x,y}_start / _end in pooling.h):
 * padding positions are skipped, not counted as zeros. */
#ifndef TINYFORGE_POOL_WINDOW_H
#define TINYFORGE_POOL_WINDOW_H

#include <stdint.h>

/* For a window starting at `origin` (may be negative: padding) of `filter`
 * taps over an input of `size`: the first and one-past-last tap inside it. */
static inline void tf_pool_window(int32_t origin, int32_t filter, int32_t size, int32_t *start, int32_t *end)
{
    *start = origin < 0 ? -origin : 0;
    *end = filter < size - origin ? filter : size - origin;
}

#endif /* TINYFORGE_POOL_WINDOW_H */
