"""Weight layouts of the tuned kernels: how a filter and its requantization are stored for each kernel that
``codegen.compiler.select`` can choose. Each module is the Python half of one kernel's contract; the C half is
the kernel's header comment."""
