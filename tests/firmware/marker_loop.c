#include <stdint.h>
#include "tinyforge/console.h"
#include "tinyforge/markers.h"

volatile uint32_t sink;

/* The same code measured with two trip counts: the difference of the spans
 * must be an exact multiple of the trip-count difference. */
__attribute__((noinline)) void sum_loop(uint32_t n)
{
    uint32_t acc = 0;
    for (uint32_t i = 0; i < n; i++) {
        acc += i * 3u;
    }
    sink = acc;
}

/* Data-dependent selects compile to IT blocks whose skipped halves still
 * count as executed instructions. */
__attribute__((noinline)) void select_loop(uint32_t n)
{
    int32_t bal = 0;
    for (uint32_t i = 0; i < n; i++) {
        if ((i * 2654435761u) >> 31) {
            bal += 3;
        } else {
            bal -= (int32_t)i;
        }
    }
    sink += (uint32_t)bal;
}

int main(void)
{
    tf_marker_begin();
    tf_marker_end();

    tf_marker_begin();
    sum_loop(1000);
    tf_marker_end();

    tf_marker_begin();
    sum_loop(2000);
    tf_marker_end();

    tf_marker_begin();
    select_loop(1000);
    tf_marker_end();

    console_init();
    console_put_u32(sink);
    console_newline();
    return 0;
}
