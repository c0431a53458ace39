/* Evaluation application: runs the model on every input the host offers over semihosting and prints
 * the outputs, so one firmware image serves a whole test set (codegen/verify/batch.py).
 *
 * The host's file APP_INPUTS_NAME holds the inputs back to back, each as the bytes of input 0, 1, ...
 * Line protocol:
 *   result <index> out=<hex bytes of output 0>[,<output 1>...]
 *   done <count>
 *   error: <what>                 (no input file, or one that ends inside an input)
 */
#include <stdint.h>

#include "app_config.h"
#include "model.h"
#include "tinyforge/console.h"
#include "tinyforge/stream_input.h"

static void print_outputs(uint32_t index)
{
    console_puts("result ");
    console_put_u32(index);
    console_puts(" out=");
    for (int k = 0; k < MODEL_OUTPUT_COUNT; ++k) {
        const int8_t *out = model_output(k);
        if (k > 0) {
            console_puts(",");
        }
        for (uint32_t j = 0; j < model_output_bytes(k); ++j) {
            console_put_hex8((uint8_t)out[j]);
        }
    }
    console_newline();
}

/* 1: every input tensor filled; 0: the file ended before this input began; -1: it ended inside it. */
static int read_inputs(int32_t file)
{
    for (int k = 0; k < MODEL_INPUT_COUNT; ++k) {
        const uint32_t want = model_input_bytes(k);
        const uint32_t got = tf_stream_read_bytes(file, model_input(k), want);
        if (got != want) {
            return (k == 0 && got == 0) ? 0 : -1;
        }
    }
    return 1;
}

int main(void)
{
    console_init();
    console_puts("tinyforge " MODEL_NAME " on " APP_BOARD_NAME ": evaluating " APP_INPUTS_NAME "\n");
    const int32_t file = tf_stream_open(APP_INPUTS_NAME);
    if (file < 0) {
        console_puts("error: no input file " APP_INPUTS_NAME "\n");
        return 1;
    }
    uint32_t count = 0;
    for (;;) {
        const int status = read_inputs(file);
        if (status == 0) {
            break;
        }
        if (status < 0) {
            console_puts("error: " APP_INPUTS_NAME " ends inside an input\n");
            return 1;
        }
        /* each input from reset state, as TFLite runs it (codegen/verify/reference.py) */
        model_reset();
        model_invoke();
        print_outputs(count);
        ++count;
    }
    console_puts("done ");
    console_put_u32(count);
    console_newline();
    return 0;
}
