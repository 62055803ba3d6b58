package dev.tunelab.kernel;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Rewrites a compiled snippet so that its calls of {@code System.exit}, {@code Runtime.exit}
 * and {@code Runtime.halt} go to {@link ExitGuard}, which ends the cell instead of the
 * kernel. The cell runs in the kernel's JVM, and the JDK offers nothing else that vetoes
 * an exit: a SecurityManager is deprecated and gone in JDK 24.
 *
 * <p>The change is small enough to make by hand, without a bytecode library: the constant
 * pool gets the guard's class and methods appended; a {@code System.exit} reference is
 * pointed at the guard (same static signature); each {@code invokevirtual} of a Runtime
 * method becomes an {@code invokestatic} of the guard method that takes the Runtime as its
 * first argument: same length, same stack effect, so no offset or stack map changes. Method
 * references ({@code System::exit}) use the same constants and are covered too. Code that
 * is not a snippet (libraries, reflection) is untouched; {@link ExitNotice} covers that.
 */
final class ExitCalls {
    static final String GUARD = "dev/tunelab/kernel/ExitGuard";
    private static final String RUNTIME_CALL = "(Ljava/lang/Runtime;I)V";
    private static final int UTF8 = 1, CLASS = 7, METHODREF = 10, NAME_AND_TYPE = 12, METHOD_HANDLE = 15;
    private static final int REF_INVOKE_VIRTUAL = 5, REF_INVOKE_STATIC = 6;
    private static final int INVOKEVIRTUAL = 0xb6, INVOKESTATIC = 0xb8;

    private ExitCalls() {}

    /** The class file with exit calls rerouted; the same array when it has none. */
    static byte[] rewrite(byte[] classFile) {
        try {
            return new Patch(classFile.clone()).apply(classFile);
        } catch (RuntimeException e) {
            // a class file this reader does not know (a newer format): load it as compiled;
            // an exit then ends the kernel, and ExitNotice still answers the cell first
            return classFile;
        }
    }

    private static final class Patch {
        private final byte[] b;
        private int[] offsets; // of each constant pool entry (its tag byte)
        private int poolCount;
        private int poolEnd;

        Patch(byte[] b) {
            this.b = b;
        }

        byte[] apply(byte[] original) {
            if (u4(0) != 0xCAFEBABE) throw new IllegalArgumentException("not a class file");
            readPool();
            Integer systemExit = null;
            Map<Integer, String> runtimeCalls = new HashMap<>(); // Methodref index -> "exit" or "halt"
            for (int i = 1; i < poolCount; i++) {
                if (offsets[i] == 0 || tag(i) != METHODREF) continue;
                String owner = className(u2(offsets[i] + 1));
                int nameAndType = u2(offsets[i] + 3);
                String name = utf8(u2(offsets[nameAndType] + 1));
                String descriptor = utf8(u2(offsets[nameAndType] + 3));
                if (!descriptor.equals("(I)V")) continue;
                if (owner.equals("java/lang/System") && name.equals("exit")) systemExit = i;
                if (owner.equals("java/lang/Runtime") && (name.equals("exit") || name.equals("halt"))) runtimeCalls.put(i, name);
            }
            if (systemExit == null && runtimeCalls.isEmpty()) return original;

            Pool added = new Pool(poolCount);
            int guardClass = added.classRef(added.utf8(GUARD));
            if (systemExit != null) put2(offsets[systemExit] + 1, guardClass); // ExitGuard.exit(int), static as System.exit
            Map<Integer, Integer> rerouted = new HashMap<>();
            int descriptor = runtimeCalls.isEmpty() ? 0 : added.utf8(RUNTIME_CALL);
            for (var call : runtimeCalls.entrySet()) {
                int name = u2(offsets[u2(offsets[call.getKey()] + 3)] + 1);
                rerouted.put(call.getKey(), added.methodRef(guardClass, added.nameAndType(name, descriptor)));
            }
            for (int i = 1; i < poolCount; i++) { // Runtime.getRuntime()::halt
                if (offsets[i] == 0 || tag(i) != METHOD_HANDLE) continue;
                Integer target = rerouted.get(u2(offsets[i] + 2));
                if (target != null && (b[offsets[i] + 1] & 0xff) == REF_INVOKE_VIRTUAL) {
                    b[offsets[i] + 1] = REF_INVOKE_STATIC;
                    put2(offsets[i] + 2, target);
                }
            }
            if (!rerouted.isEmpty()) rerouteCalls(rerouted);
            if (added.count > 0xffff) throw new IllegalArgumentException("constant pool full");

            ByteArrayOutputStream out = new ByteArrayOutputStream(b.length + added.bytes.size());
            out.write(b, 0, 8);
            out.write(added.count >> 8);
            out.write(added.count);
            out.write(b, 10, poolEnd - 10);
            out.write(added.bytes.toByteArray(), 0, added.bytes.size());
            out.write(b, poolEnd, b.length - poolEnd);
            return out.toByteArray();
        }

        private void readPool() {
            poolCount = u2(8);
            offsets = new int[poolCount];
            int at = 10;
            for (int i = 1; i < poolCount; i++) {
                offsets[i] = at;
                int tag = b[at] & 0xff;
                at += 1 + switch (tag) {
                    case UTF8 -> 2 + u2(at + 1);
                    case 3, 4 -> 4;                    // Integer, Float
                    case 5, 6 -> 8;                    // Long, Double
                    case CLASS, 8, 16, 19, 20 -> 2;   // Class, String, MethodType, Module, Package
                    case 9, METHODREF, 11, NAME_AND_TYPE, 17, 18 -> 4;
                    case METHOD_HANDLE -> 3;
                    default -> throw new IllegalArgumentException("constant tag " + tag);
                };
                if (tag == 5 || tag == 6) i++; // a long or double takes two entries
            }
            poolEnd = at;
        }

        /** Turns each invokevirtual of a rerouted Runtime method into an invokestatic of the guard. */
        private void rerouteCalls(Map<Integer, Integer> rerouted) {
            int at = poolEnd + 6; // access flags, this class, super class
            at += 2 + 2 * u2(at); // interfaces
            at = skipMembers(at, null); // fields
            skipMembers(at, rerouted); // methods
        }

        private int skipMembers(int at, Map<Integer, Integer> rerouted) {
            int count = u2(at);
            at += 2;
            for (int m = 0; m < count; m++) {
                int attributes = u2(at + 6);
                at += 8;
                for (int a = 0; a < attributes; a++) {
                    int length = u4(at + 2);
                    if (rerouted != null && utf8(u2(at)).equals("Code")) patchCode(at + 6, rerouted);
                    at += 6 + length;
                }
            }
            return at;
        }

        private void patchCode(int attribute, Map<Integer, Integer> rerouted) {
            int start = attribute + 8; // max_stack, max_locals, code_length
            int length = u4(attribute + 4);
            for (int pc = 0; pc < length; pc += Bytecode.length(b, start, pc)) {
                if ((b[start + pc] & 0xff) != INVOKEVIRTUAL) continue;
                Integer target = rerouted.get(u2(start + pc + 1));
                if (target != null) {
                    b[start + pc] = (byte) INVOKESTATIC;
                    put2(start + pc + 1, target);
                }
            }
        }

        private int tag(int index) {
            return b[offsets[index]] & 0xff;
        }

        private String className(int classIndex) {
            return utf8(u2(offsets[classIndex] + 1));
        }

        /** Constant pool names are ASCII here; modified UTF-8 only differs outside ASCII. */
        private String utf8(int index) {
            int at = offsets[index];
            if ((b[at] & 0xff) != UTF8) throw new IllegalArgumentException("not a name: " + index);
            return new String(b, at + 3, u2(at + 1), StandardCharsets.UTF_8);
        }

        private int u2(int at) {
            return (b[at] & 0xff) << 8 | b[at + 1] & 0xff;
        }

        private int u4(int at) {
            return u2(at) << 16 | u2(at + 2);
        }

        private void put2(int at, int value) {
            b[at] = (byte) (value >> 8);
            b[at + 1] = (byte) value;
        }
    }

    /** Constant pool entries appended after the class's own. */
    private static final class Pool {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int count;

        Pool(int count) {
            this.count = count;
        }

        int utf8(String s) {
            byte[] text = s.getBytes(StandardCharsets.UTF_8);
            bytes.write(UTF8);
            u2(text.length);
            bytes.write(text, 0, text.length);
            return count++;
        }

        int classRef(int name) {
            bytes.write(CLASS);
            u2(name);
            return count++;
        }

        int nameAndType(int name, int descriptor) {
            bytes.write(NAME_AND_TYPE);
            u2(name);
            u2(descriptor);
            return count++;
        }

        int methodRef(int owner, int nameAndType) {
            bytes.write(METHODREF);
            u2(owner);
            u2(nameAndType);
            return count++;
        }

        private void u2(int v) {
            bytes.write(v >> 8);
            bytes.write(v);
        }
    }
}
