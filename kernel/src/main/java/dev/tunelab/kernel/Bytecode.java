package dev.tunelab.kernel;

/** Lengths of JVM instructions (JVM specification, chapter 6), for walking a method's code. */
final class Bytecode {
    private static final int[] LENGTH = new int[256];

    static {
        for (int op = 0x00; op <= 0xc9; op++) LENGTH[op] = 1;
        set(2, 0x10, 0x12, 0x15, 0x16, 0x17, 0x18, 0x19, 0x36, 0x37, 0x38, 0x39, 0x3a, 0xa9, 0xbc);
        set(3, 0x11, 0x13, 0x14, 0x84, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xbb, 0xbd, 0xc0, 0xc1, 0xc6, 0xc7);
        for (int op = 0x99; op <= 0xa8; op++) LENGTH[op] = 3; // if<cond>, if_icmp<cond>, if_acmp<cond>, goto, jsr
        set(4, 0xc5);                                          // multianewarray
        set(5, 0xb9, 0xba, 0xc8, 0xc9);                        // invokeinterface, invokedynamic, goto_w, jsr_w
    }

    private Bytecode() {}

    private static void set(int length, int... ops) {
        for (int op : ops) LENGTH[op] = length;
    }

    /** The length of the instruction at {@code pc} of the code that starts at {@code codeStart} in {@code b}. */
    static int length(byte[] b, int codeStart, int pc) {
        int op = b[codeStart + pc] & 0xff;
        int pad = 3 - pc % 4; // switch operands start at a multiple of 4 from the code's start
        switch (op) {
            case 0xaa: { // tableswitch: default, low, high, then high - low + 1 offsets
                int operands = codeStart + pc + 1 + pad;
                return 1 + pad + 12 + (s4(b, operands + 8) - s4(b, operands + 4) + 1) * 4;
            }
            case 0xab: // lookupswitch: default, npairs, then npairs (match, offset) pairs
                return 1 + pad + 8 + s4(b, codeStart + pc + 1 + pad + 4) * 8;
            case 0xc4: // wide: iinc takes two 2-byte operands, the others one
                return (b[codeStart + pc + 1] & 0xff) == 0x84 ? 6 : 4;
            default:
                if (LENGTH[op] == 0) throw new IllegalArgumentException("unknown instruction " + op);
                return LENGTH[op];
        }
    }

    private static int s4(byte[] b, int at) {
        return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | b[at + 3] & 0xff;
    }
}
