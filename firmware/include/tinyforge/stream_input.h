/* Audio input for the streaming application: 16-bit PCM read from the host. */
#ifndef TINYFORGE_STREAM_INPUT_H
#define TINYFORGE_STREAM_INPUT_H

#include <stdint.h>

/* A handle (>= 0), or -1 when the host has no such input. */
int32_t tf_stream_open(const char *name);

/* Up to count samples into samples; returns how many (0 at the end of the stream). */
uint32_t tf_stream_read(int32_t handle, int16_t *samples, uint32_t count);

#endif /* TINYFORGE_STREAM_INPUT_H */
