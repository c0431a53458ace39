/* Host driver for firmware/audio/microfrontend.c: reads clips from stdin as
 * (uint32 sample count, int16 samples), feeds each from a fresh state in
 * chunks of argv[1] samples (a streaming source delivers what it has, not
 * whole windows), and writes every slice's uint16 features to stdout. */
#include <stdio.h>
#include <stdlib.h>

#include "tinyforge/audio_frontend.h"

int main(int argc, char **argv)
{
    const size_t chunk = argc > 1 ? (size_t)atoi(argv[1]) : 1000;
    static tf_frontend fe;
    uint32_t count;
    while (fread(&count, sizeof count, 1, stdin) == 1) {
        int16_t *samples = malloc(count * sizeof *samples + 1);
        if (fread(samples, sizeof *samples, count, stdin) != count) {
            return 1;
        }
        tf_frontend_reset(&fe);
        size_t done = 0;
        while (done < count) {
            size_t n = count - done < chunk ? count - done : chunk;
            while (n > 0) {
                uint16_t slice[TF_FE_NUM_CHANNELS];
                int produced;
                const size_t used = tf_frontend_process(&fe, samples + done, n, slice, &produced);
                done += used;
                n -= used;
                if (produced) {
                    fwrite(slice, sizeof slice, 1, stdout);
                }
            }
        }
        free(samples);
    }
    return 0;
}
