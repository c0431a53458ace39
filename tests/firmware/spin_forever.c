__attribute__((noinline)) void spin_forever(void)
{
    for (;;) {
        __asm__ volatile("");
    }
}

int main(void)
{
    spin_forever();
    return 0;
}
