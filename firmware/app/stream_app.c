/* Streaming application: listens to the audio stream the host provides (16-bit PCM over semihosting),
 * runs the audio frontend on every hop and the model every APP_INFERENCE_EVERY_HOPS hops on the newest
 * feature slices, and reports the recognizer's detections.
 *
 * Line protocol (parsed by codegen/verify/streaming.py):
 *   inference <hop> <time_ms> <hex bytes of output 0>
 *   detect <label> <time_ms> <average score 0..255>
 *   done <hops> <inferences>
 * Marker spans (tf_marker_begin/end): one per hop (the frontend), and after the
 * hop's span one per inference made on that hop (the model).
 *
 * The stream's name, the labels and the recognizer's settings are data, generated into gen/app_config.h.
 */
#include <stdint.h>

#include "app_config.h"
#include "model.h"
#include "tinyforge/audio_frontend.h"
#include "tinyforge/console.h"
#include "tinyforge/markers.h"
#include "tinyforge/recognizer.h"
#include "tinyforge/stream_input.h"

static const char *const labels[APP_LABEL_COUNT] = APP_LABELS;
/* 1 for the labels a detection may name; silence and unknown are background */
static const uint8_t is_keyword[APP_LABEL_COUNT] = APP_IS_KEYWORD;

static tf_frontend frontend;
static tf_feature_ring ring;
static int16_t hop_samples[TF_FE_STEP_SAMPLES];
static int32_t result_times[APP_RESULT_CAPACITY];
static int8_t result_scores[APP_RESULT_CAPACITY * APP_LABEL_COUNT];
static tf_recognizer recognizer = {
    .average_window_ms = APP_AVERAGE_WINDOW_MS,
    .detection_threshold = APP_DETECTION_THRESHOLD,
    .suppression_ms = APP_SUPPRESSION_MS,
    .minimum_count = APP_MINIMUM_COUNT,
    .label_count = APP_LABEL_COUNT,
    .is_keyword = is_keyword,
    .times = result_times,
    .scores = result_scores,
    .capacity = APP_RESULT_CAPACITY,
};

static void print_inference(uint32_t hop, int32_t time_ms, const int8_t *scores)
{
    console_puts("inference ");
    console_put_u32(hop);
    console_puts(" ");
    console_put_i32(time_ms);
    console_puts(" ");
    for (uint32_t j = 0; j < APP_LABEL_COUNT; ++j) {
        console_put_hex8((uint8_t)scores[j]);
    }
    console_newline();
}

static void print_detection(uint32_t label, int32_t time_ms, int32_t average)
{
    console_puts("detect ");
    console_puts(labels[label]);
    console_puts(" ");
    console_put_i32(time_ms);
    console_puts(" ");
    console_put_i32(average);
    console_newline();
}

int main(void)
{
    console_init();
    console_puts("tinyforge " MODEL_NAME " on " APP_BOARD_NAME ": listening to " APP_STREAM_NAME "\n");
    const int32_t stream = tf_stream_open(APP_STREAM_NAME);
    if (stream < 0) {
        console_puts("error: no audio stream " APP_STREAM_NAME "\n");
        return 1;
    }
    tf_frontend_reset(&frontend);
    tf_feature_ring_reset(&ring);
    tf_recognizer_reset(&recognizer);

    uint32_t hops = 0, inferences = 0, slices = 0;
    uint64_t samples_seen = 0;
    for (;;) {
        const uint32_t count = tf_stream_read(stream, hop_samples, TF_FE_STEP_SAMPLES);
        if (count == 0) {
            break;
        }
        samples_seen += count;
        /* the frontend's share of this hop: every slice it completes, quantized into the ring */
        tf_marker_begin();
        const uint32_t fresh = tf_frontend_feed(&frontend, &ring, hop_samples, count);
        slices += fresh;
        tf_marker_end();

        if (fresh && slices % APP_INFERENCE_EVERY_HOPS == 0) {
            /* time of the newest audio the model has heard */
            const int32_t time_ms = (int32_t)(samples_seen * 1000u / TF_FE_SAMPLE_RATE);
            tf_marker_begin();
            model_reset();
            tf_feature_ring_copy(&ring, model_input(0));
            model_invoke();
            tf_marker_end();
            ++inferences;
            const int8_t *scores = model_output(0);
            print_inference(hops, time_ms, scores);
            uint32_t label;
            int32_t average;
            if (tf_recognizer_process(&recognizer, scores, time_ms, &label, &average)) {
                print_detection(label, time_ms, average);
            }
        }
        ++hops;
    }
    console_puts("done ");
    console_put_u32(hops);
    console_puts(" ");
    console_put_u32(inferences);
    console_newline();
    return 0;
}
