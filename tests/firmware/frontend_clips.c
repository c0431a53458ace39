/* Emulator test of firmware/audio/microfrontend.c: for each clip the host
 * offers (clip0.pcm, clip1.pcm, ... over semihosting), from a fresh frontend
 * state, fed a hop at a time as a microphone driver would, print every
 * slice's uint16 features:  slice <clip> <hex, little-endian uint16s> */
#include <stdint.h>

#include "tinyforge/audio_frontend.h"
#include "tinyforge/console.h"
#include "tinyforge/stream_input.h"

static tf_frontend frontend;
static int16_t hop[TF_FE_STEP_SAMPLES];

int main(void)
{
    console_init();
    char name[] = "clip0.pcm";
    for (uint32_t clip = 0; clip < 10; ++clip) {
        name[4] = (char)('0' + clip);
        const int32_t handle = tf_stream_open(name);
        if (handle < 0) {
            break;
        }
        tf_frontend_reset(&frontend);
        uint32_t count;
        while ((count = tf_stream_read(handle, hop, TF_FE_STEP_SAMPLES)) > 0) {
            uint32_t done = 0;
            while (done < count) {
                uint16_t slice[TF_FE_NUM_CHANNELS];
                int produced;
                done += tf_frontend_process(&frontend, hop + done, count - done, slice, &produced);
                if (produced) {
                    console_puts("slice ");
                    console_put_u32(clip);
                    console_puts(" ");
                    for (int c = 0; c < TF_FE_NUM_CHANNELS; ++c) {
                        console_put_hex8((uint8_t)(slice[c] & 0xFF));
                        console_put_hex8((uint8_t)(slice[c] >> 8));
                    }
                    console_newline();
                }
            }
        }
    }
    console_puts("done\n");
    return 0;
}
