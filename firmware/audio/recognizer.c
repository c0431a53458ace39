#include "tinyforge/recognizer.h"

void tf_recognizer_reset(tf_recognizer *r)
{
    r->first = 0;
    r->count = 0;
    r->last_detection_ms = 0;
    r->detected_before = 0;
}

int tf_recognizer_process(tf_recognizer *r, const int8_t *scores, int32_t time_ms, uint32_t *label,
                          int32_t *average)
{
    /* A full history drops its oldest result: the window then averages what fits. */
    if (r->count == r->capacity) {
        r->first = (r->first + 1) % r->capacity;
        --r->count;
    }
    const uint32_t slot = (r->first + r->count) % r->capacity;
    r->times[slot] = time_ms;
    for (uint32_t i = 0; i < r->label_count; ++i) {
        r->scores[slot * r->label_count + i] = scores[i];
    }
    ++r->count;

    /* Results older than the window go; one exactly window-old stays (TFLM's time_limit test). */
    while (r->count > 0 && r->times[r->first] < time_ms - r->average_window_ms) {
        r->first = (r->first + 1) % r->capacity;
        --r->count;
    }
    if (r->count < r->minimum_count) {
        return 0;
    }

    uint32_t top = 0;
    int32_t top_average = -1;
    for (uint32_t i = 0; i < r->label_count; ++i) {
        int32_t sum = 0;
        for (uint32_t k = 0; k < r->count; ++k) {
            sum += r->scores[((r->first + k) % r->capacity) * r->label_count + i] + 128;
        }
        const int32_t mean = sum / (int32_t)r->count;
        if (mean > top_average) {
            top_average = mean;
            top = i;
        }
    }
    if (!r->is_keyword[top] || top_average <= r->detection_threshold) {
        return 0;
    }
    if (r->detected_before && time_ms - r->last_detection_ms <= r->suppression_ms) {
        return 0;
    }
    r->detected_before = 1;
    r->last_detection_ms = time_ms;
    *label = top;
    *average = top_average;
    return 1;
}
