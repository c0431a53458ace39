/* PCM from the host over semihosting (ARM semihosting SYS_OPEN / SYS_READ):
 * in the emulator, the file the host offers as the audio stream; on a board
 * under a debugger, a file on the debug host. */
#include "tinyforge/stream_input.h"

#include "tinyforge/semihost.h"

#define SEMIHOST_SYS_OPEN 0x01u
#define SEMIHOST_SYS_READ 0x06u
#define SEMIHOST_MODE_RB 1u

int32_t tf_stream_open(const char *name)
{
    uint32_t length = 0;
    while (name[length] != '\0') {
        ++length;
    }
    const uint32_t block[3] = {(uint32_t)(uintptr_t)name, SEMIHOST_MODE_RB, length};
    return (int32_t)semihost_call(SEMIHOST_SYS_OPEN, block);
}

uint32_t tf_stream_read_bytes(int32_t handle, void *buffer, uint32_t bytes)
{
    const uint32_t block[3] = {(uint32_t)handle, (uint32_t)(uintptr_t)buffer, bytes};
    const uint32_t not_read = semihost_call(SEMIHOST_SYS_READ, block);
    if (not_read > bytes) {
        return 0;   /* an error: treat as the end of the stream */
    }
    return bytes - not_read;
}

uint32_t tf_stream_read(int32_t handle, int16_t *samples, uint32_t count)
{
    return tf_stream_read_bytes(handle, samples, count * sizeof(int16_t)) / sizeof(int16_t);
}
