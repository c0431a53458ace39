#include <stdint.h>
#include "tinyforge/markers.h"

/* An int8 dot-product-like loop, the shape of the kernels' inner loops. */
static int8_t a[256], b[256];
volatile int32_t result;

int main(void)
{
    for (int i = 0; i < 256; i++) {
        a[i] = (int8_t)(i * 7);
        b[i] = (int8_t)(i * 13);
    }
    tf_marker_begin();
    int32_t acc = 0;
    for (int rep = 0; rep < 2000; rep++) {
        for (int i = 0; i < 256; i++) {
            acc += a[i] * b[i];
        }
        acc ^= rep;
    }
    result = acc;
    tf_marker_end();
    return 0;
}
