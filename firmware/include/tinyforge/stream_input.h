/* Input read from the host over semihosting: 16-bit PCM for the streaming application, model inputs for
 * the evaluation application. */
#ifndef TINYFORGE_STREAM_INPUT_H
#define TINYFORGE_STREAM_INPUT_H

#include <stdint.h>

/* A handle (>= 0), or -1 when the host has no such input. */
int32_t tf_stream_open(const char *name);

/* Up to bytes bytes into buffer; returns how many (0 at the end of the input). */
uint32_t tf_stream_read_bytes(int32_t handle, void *buffer, uint32_t bytes);

/* Up to count samples into samples; returns how many (0 at the end of the stream). */
uint32_t tf_stream_read(int32_t handle, int16_t *samples, uint32_t count);

#endif /* TINYFORGE_STREAM_INPUT_H */
