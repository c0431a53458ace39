/*
 * Command recognizer over a stream of model outputs, after TFLM's and MLTK's
 * RecognizeCommands: average each label's score over the results of the last
 * average_window_ms (only once at least minimum_count results are in that
 * window), report the top label when its average exceeds detection_threshold,
 * then report nothing for suppression_ms. Only keyword labels are reported:
 * background labels (silence, unknown) can win the average, which keeps a
 * keyword from firing on them, but are never a detection.
 *
 * Scores are the model's int8 outputs; averages are taken of score + 128 so
 * the threshold is on MLTK's 0..255 scale. Times are milliseconds of audio.
 */
#ifndef TINYFORGE_RECOGNIZER_H
#define TINYFORGE_RECOGNIZER_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    /* configuration */
    int32_t average_window_ms;
    int32_t detection_threshold;
    int32_t suppression_ms;
    uint32_t minimum_count;
    uint32_t label_count;
    const uint8_t *is_keyword;     /* label_count flags */
    /* caller-provided history: capacity results of label_count scores each */
    int32_t *times;
    int8_t *scores;
    uint32_t capacity;
    /* state */
    uint32_t first, count;
    int32_t last_detection_ms;
    int detected_before;
} tf_recognizer;

void tf_recognizer_reset(tf_recognizer *r);

/* Adds one inference's scores at time_ms (non-decreasing). Returns 1 and sets
 * *label / *average when a keyword is detected, else returns 0. */
int tf_recognizer_process(tf_recognizer *r, const int8_t *scores, int32_t time_ms, uint32_t *label,
                          int32_t *average);

#ifdef __cplusplus
}
#endif

#endif /* TINYFORGE_RECOGNIZER_H */
