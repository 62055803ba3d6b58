package dev.tunelab.kernel;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * Catches the real value of a snippet. JShell only hands back the value's {@code toString};
 * {@link CellExecutionControl} runs this trampoline instead of the snippet's {@code do_it$}
 * method, on JShell's own execution thread, so stopping and exceptions behave exactly as if
 * the snippet ran directly. Cells run one at a time, so one slot is enough.
 */
public final class ResultSlot {
    private static volatile Method pending;
    private static volatile Object value;

    private ResultSlot() {}

    static void arm(Method doit) {
        pending = doit;
        value = null;
    }

    /** Invoked reflectively by JShell's execution thread. */
    public static Object run() throws Throwable {
        Method doit = pending;
        Thread.currentThread().setContextClassLoader(doit.getDeclaringClass().getClassLoader());
        try {
            value = doit.invoke(null);
        } catch (InvocationTargetException e) {
            throw e.getCause(); // JShell then sees the user's own exception, not ours
        }
        return null; // JShell would call toString() on a value; we never need its string
    }

    /** The last value, released so that a large result is not kept alive by the kernel. */
    static Object take() {
        Object v = value;
        value = null;
        pending = null;
        return v;
    }
}
