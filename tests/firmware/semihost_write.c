#include "tinyforge/semihost.h"

int main(void)
{
    semihost_write0("write0 ");
    semihost_writec('c');
    semihost_write(" write\n", 7);
    return 0;
}
