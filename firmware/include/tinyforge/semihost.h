/*
 * ARM semihosting (ARM "Semihosting for AArch32 and AArch64", v2): the host
 * debugger or emulator services requests raised with `bkpt 0xAB` on M-profile.
 * Without a debugger attached, bkpt escalates to HardFault on real hardware,
 * so only test/emulation firmware should rely on these.
 */
#ifndef TINYFORGE_SEMIHOST_H
#define TINYFORGE_SEMIHOST_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SEMIHOST_SYS_WRITEC        0x03u
#define SEMIHOST_SYS_WRITE0        0x04u
#define SEMIHOST_SYS_WRITE         0x05u
#define SEMIHOST_SYS_EXIT          0x18u
#define SEMIHOST_SYS_EXIT_EXTENDED 0x20u
#define SEMIHOST_ADP_STOPPED_APPLICATION_EXIT 0x20026u

/* Raw call: operation in r0, argument (usually a pointer) in r1; returns r0. */
uint32_t semihost_call(uint32_t op, const void *arg);

void semihost_writec(char c);
void semihost_write0(const char *s);
/* Writes n bytes to the host's stdout (handle 1); returns bytes NOT written. */
uint32_t semihost_write(const char *s, uint32_t n);
/* Ends the program with `code` as the host's exit status. */
__attribute__((noreturn)) void semihost_exit(int code);

#ifdef __cplusplus
}
#endif

#endif /* TINYFORGE_SEMIHOST_H */
