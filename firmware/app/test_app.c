/* Test application: runs every embedded input through the model and prints
 * each output tensor on the console for the host to compare with TFLite.
 *
 * Line protocol (parsed by codegen/verify/testrun.py):
 *   result <index> <name> label=<label> out=<hex bytes of output 0>[,<output 1>...]
 *   features <index> <hex bytes of input 0>   (frontend=device: what the firmware computed)
 *   <passed> passed, <failed> failed      (against TFLite's outputs embedded in test_expected.c)
 *   done <count>
 *
 * What varies from one firmware to the next is data, generated into gen/app_config.h (the board's name, the
 * labels, whether the firmware computes features from PCM) beside model.h and test_inputs.h.
 */
#include <stdint.h>

#include "app_config.h"
#include "model.h"
#include "test_expected.h"
#include "test_inputs.h"
#include "tinyforge/console.h"
#include "tinyforge/markers.h"
#if APP_DEVICE_FRONTEND
#include "tinyforge/audio_frontend.h"
#endif

#if APP_LABEL_COUNT > 0
static const char *const labels[APP_LABEL_COUNT] = APP_LABELS;
#endif

#if APP_DEVICE_FRONTEND
static tf_frontend frontend;
static tf_feature_ring ring;

/* The clip through the audio frontend; the ring then holds the model's input, oldest slice first. */
static void compute_features(const test_input *clip, int8_t *features)
{
    tf_frontend_reset(&frontend);
    tf_feature_ring_reset(&ring);
    tf_frontend_feed(&frontend, &ring, clip->samples, clip->sample_count);
    tf_feature_ring_copy(&ring, features);
}

static void print_features(uint32_t index)
{
    console_puts("features ");
    console_put_u32(index);
    console_puts(" ");
    for (uint32_t j = 0; j < model_input_bytes(0); ++j) {
        console_put_hex8((uint8_t)model_input(0)[j]);
    }
    console_newline();
}
#else
static void copy_bytes(int8_t *to, const int8_t *from, uint32_t n)
{
    for (uint32_t i = 0; i < n; ++i) {
        to[i] = from[i];
    }
}
#endif

/* Output 0 as the model's own type, whose largest value names the label. */
static uint32_t argmax(const MODEL_OUTPUT0_TYPE *values, uint32_t n)
{
    uint32_t best = 0;
    for (uint32_t i = 1; i < n; ++i) {
        if (values[i] > values[best]) {
            best = i;
        }
    }
    return best;
}

#if TEST_HAS_TOLERANCE
/* A float32 from 4 bytes at any alignment (the expected outputs are byte arrays). */
static float load_float(const uint8_t *bytes)
{
    union {
        uint8_t b[4];
        float f;
    } v;
    for (int i = 0; i < 4; ++i) {
        v.b[i] = bytes[i];
    }
    return v.f;
}

/* How many float32 values of output k differ from TFLite's by more than the stated bound (NaN always does). */
static uint32_t count_beyond_tolerance(const int8_t *out, uint32_t index, int k)
{
    const float tolerance = test_tolerance[index][k];
    uint32_t beyond = 0;
    for (uint32_t j = 0; j + 4 <= model_output_bytes(k); j += 4) {
        const float got = load_float((const uint8_t *)out + j);
        const float want = load_float(test_expected[index][k] + j);
        beyond += !(got - want <= tolerance && want - got <= tolerance);
    }
    return beyond;
}
#endif

/* Prints every output's bytes; returns how many differ from TFLite's (beyond test_tolerance, for float32). */
static uint32_t print_and_compare_outputs(uint32_t index)
{
    uint32_t mismatched = 0;
    for (int k = 0; k < MODEL_OUTPUT_COUNT; ++k) {
        const int8_t *out = model_output(k);
#if TEST_HAS_TOLERANCE
        const int bytewise = test_tolerance[index][k] == 0.0f;
#else
        const int bytewise = 1;
#endif
        if (k > 0) {
            console_puts(",");
        }
        for (uint32_t j = 0; j < model_output_bytes(k); ++j) {
            console_put_hex8((uint8_t)out[j]);
            if (bytewise) {
                mismatched += (uint8_t)out[j] != test_expected[index][k][j];
            }
        }
#if TEST_HAS_TOLERANCE
        if (!bytewise) {
            mismatched += count_beyond_tolerance(out, index, k);
        }
#endif
    }
    return mismatched;
}

int main(void)
{
    console_init();
    console_puts("tinyforge " MODEL_NAME " on " APP_BOARD_NAME ": ");
    console_put_u32(TEST_INPUT_COUNT);
    console_puts(" inputs\n");
    uint32_t passed = 0;
    for (uint32_t i = 0; i < TEST_INPUT_COUNT; ++i) {
        /* Each input is judged against TFLite run from reset state (codegen/verify/reference.py). */
        model_reset();
#if APP_DEVICE_FRONTEND
        /* first marker span: the frontend over the whole clip; the second: the model */
        tf_marker_begin();
        compute_features(&test_inputs[i], model_input(0));
        tf_marker_end();
        print_features(i);
#else
        for (int k = 0; k < MODEL_INPUT_COUNT; ++k) {
            copy_bytes(model_input(k), test_inputs[i].data[k], model_input_bytes(k));
        }
#endif
        tf_marker_begin();
        model_invoke();
        tf_marker_end();

        console_puts("result ");
        console_put_u32(i);
        console_puts(" ");
        console_puts(test_inputs[i].name);
        console_puts(" label=");
#if APP_LABEL_COUNT > 0
        console_puts(labels[argmax(MODEL_OUTPUT0, APP_LABEL_COUNT)]);
#else
        console_put_u32(argmax(MODEL_OUTPUT0, model_output_bytes(0) / sizeof(MODEL_OUTPUT0_TYPE)));
#endif
        console_puts(" out=");
        const uint32_t mismatched = print_and_compare_outputs(i);
        console_newline();
        passed += mismatched == 0;
    }
    /* The firmware's own verdict against the embedded TFLite outputs: what a board with no
     * host, or Renode's test, reads. The host's test runner compares independently. */
    console_put_u32(passed);
    console_puts(" passed, ");
    console_put_u32(TEST_INPUT_COUNT - passed);
    console_puts(" failed\n");
    console_puts("done ");
    console_put_u32(TEST_INPUT_COUNT);
    console_newline();
    return passed == TEST_INPUT_COUNT ? 0 : 1;
}
