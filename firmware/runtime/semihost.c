#include "tinyforge/semihost.h"

uint32_t semihost_call(uint32_t op, const void *arg)
{
    /* Semihosting ABI: r0 = operation, r1 = argument, result back in r0.
     * The "memory" clobber makes buffers the host reads visible before the
     * trap and anything it writes visible after. */
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void semihost_writec(char c)
{
    semihost_call(SEMIHOST_SYS_WRITEC, &c);
}

void semihost_write0(const char *s)
{
    semihost_call(SEMIHOST_SYS_WRITE0, s);
}

uint32_t semihost_write(const char *s, uint32_t n)
{
    /* SYS_WRITE parameter block: file handle, buffer, length (handle 1 is
     * the host's stdout by convention of ":tt" opened for writing). */
    const uint32_t block[3] = {1u, (uint32_t)(uintptr_t)s, n};
    return semihost_call(SEMIHOST_SYS_WRITE, block);
}

void semihost_exit(int code)
{
    /* On AArch32 plain SYS_EXIT (0x18) only carries a reason code in r1, so
     * the exit status is lost; SYS_EXIT_EXTENDED (0x20) takes a pointer to
     * {reason, subcode} and the host uses subcode as the exit status. */
    const uint32_t block[2] = {SEMIHOST_ADP_STOPPED_APPLICATION_EXIT, (uint32_t)code};
    semihost_call(SEMIHOST_SYS_EXIT_EXTENDED, block);
    for (;;) {
        /* A host that ignores the request must not let us return. */
        semihost_call(SEMIHOST_SYS_EXIT, (const void *)SEMIHOST_ADP_STOPPED_APPLICATION_EXIT);
    }
}
