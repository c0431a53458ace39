/* A host program that uses two exported models one after the other, in one arena it owns.
 *   user_app KWS_INPUT KWS_OUTPUT SPEECH_INPUT SPEECH_OUTPUT
 * reads each model's input bytes from a file and writes its output bytes to another. */
#include <stdint.h>
#include <stdio.h>

#include "kws.h"
#include "speech.h"

#define ARENA_SIZE (KWS_ARENA_SIZE > SPEECH_ARENA_SIZE ? KWS_ARENA_SIZE : SPEECH_ARENA_SIZE)
static uint8_t arena[ARENA_SIZE] __attribute__((aligned(16)));

static int read_file(const char *path, int8_t *to, uint32_t bytes)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return -1;
    }
    const size_t got = fread(to, 1, bytes, f);
    fclose(f);
    return got == bytes ? 0 : -1;
}

static int write_file(const char *path, const int8_t *from, uint32_t bytes)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        return -1;
    }
    const size_t put = fwrite(from, 1, bytes, f);
    fclose(f);
    return put == bytes ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: user_app KWS_INPUT KWS_OUTPUT SPEECH_INPUT SPEECH_OUTPUT\n");
        return 2;
    }
    /* Before its arena is given, a model refuses to run. */
    if (kws_invoke() != KWS_ERROR_NO_ARENA || kws_input(0) != NULL) {
        fprintf(stderr, "kws_invoke ran without an arena\n");
        return 3;
    }
    if (kws_init(arena + 1) != KWS_ERROR_ARENA_ALIGNMENT) {
        fprintf(stderr, "kws_init took a misaligned arena\n");
        return 3;
    }
    if (kws_init(arena) != KWS_OK || speech_init(arena) != SPEECH_OK) {
        fprintf(stderr, "init failed\n");
        return 3;
    }

    kws_reset();
    if (read_file(argv[1], kws_input(0), KWS_INPUT0_BYTES) != 0 || kws_invoke() != KWS_OK ||
        write_file(argv[2], kws_output(0), KWS_OUTPUT0_BYTES) != 0) {
        fprintf(stderr, "kws failed\n");
        return 4;
    }
    /* The same arena, now the other model's. */
    speech_reset();
    if (read_file(argv[3], speech_input(0), SPEECH_INPUT0_BYTES) != 0 || speech_invoke() != SPEECH_OK ||
        write_file(argv[4], speech_output(0), SPEECH_OUTPUT0_BYTES) != 0) {
        fprintf(stderr, "speech failed\n");
        return 4;
    }
    printf("kws scores:");
    for (uint32_t i = 0; i < KWS_OUTPUT0_BYTES; ++i) {
        const float score = KWS_OUTPUT0_SCALE * (float)(KWS_OUTPUT0[i] - KWS_OUTPUT0_ZERO_POINT);
        printf(" %.3f", (double)score);
    }
    printf("\n");
    return 0;
}
