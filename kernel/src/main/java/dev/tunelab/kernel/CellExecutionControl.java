package dev.tunelab.kernel;

import java.lang.reflect.Method;
import java.util.Map;
import jdk.jshell.execution.LocalExecutionControl;
import jdk.jshell.spi.ExecutionControl;
import jdk.jshell.spi.ExecutionControlProvider;
import jdk.jshell.spi.ExecutionEnv;

/**
 * Runs snippets in the kernel's own JVM on JShell's local engine. Its stop() stops the
 * snippet thread (Thread.stop on JDK 17, a stop check woven into loops on later JDKs), which
 * is what interrupts a busy loop; this subclass reroutes each invocation through
 * {@link ResultSlot} to keep the real result object, sets the thread's context class
 * loader to JShell's loader (DJL finds its engine with ServiceLoader on that loader), and
 * loads snippet classes with their exit calls rerouted ({@link ExitCalls}), since an exit
 * in this JVM would end the kernel.
 */
final class CellExecutionControl extends LocalExecutionControl {
    private static final Method TRAMPOLINE;

    static {
        try {
            TRAMPOLINE = ResultSlot.class.getMethod("run");
        } catch (NoSuchMethodException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private volatile boolean running;
    private volatile boolean stopped;
    private volatile ClassLoader snippetLoader;

    @Override
    protected String invoke(Method doitMethod) throws Exception {
        ResultSlot.arm(doitMethod);
        snippetLoader = doitMethod.getDeclaringClass().getClassLoader();
        Thread current = Thread.currentThread();
        ClassLoader previous = current.getContextClassLoader();
        current.setContextClassLoader(snippetLoader); // inherited by the thread JShell starts
        try {
            return super.invoke(TRAMPOLINE);
        } finally {
            current.setContextClassLoader(previous);
        }
    }

    @Override
    public void load(ClassBytecodes[] classes) throws ClassInstallException, NotImplementedException, EngineTerminationException {
        super.load(withExitsGuarded(classes));
    }

    @Override
    public void redefine(ClassBytecodes[] classes) throws ClassInstallException, NotImplementedException, EngineTerminationException {
        super.redefine(withExitsGuarded(classes));
    }

    private static ClassBytecodes[] withExitsGuarded(ClassBytecodes[] classes) {
        ClassBytecodes[] guarded = new ClassBytecodes[classes.length];
        for (int i = 0; i < classes.length; i++) {
            guarded[i] = new ClassBytecodes(classes[i].name(), ExitCalls.rewrite(classes[i].bytecodes()));
        }
        return guarded;
    }

    @Override
    public void stop() throws EngineTerminationException, InternalException {
        if (running) stopped = true; // JShell reports a stopped snippet as success; remember it
        super.stop();
    }

    @Override
    protected void clientCodeEnter() {
        running = true;
        super.clientCodeEnter();
    }

    @Override
    protected void clientCodeLeave() {
        super.clientCodeLeave();
        running = false;
    }

    /** Whether a stop hit running code since the last call; clears the flag. */
    boolean takeStopped() {
        boolean s = stopped;
        stopped = false;
        return s;
    }

    /** JShell's class loader for snippets (null before the first snippet ran). */
    ClassLoader snippetLoader() {
        return snippetLoader;
    }

    /** Hands this one instance to JShell's builder. */
    static final class Provider implements ExecutionControlProvider {
        private final CellExecutionControl control;

        Provider(CellExecutionControl control) {
            this.control = control;
        }

        @Override
        public String name() {
            return "tunelab-local";
        }

        @Override
        public ExecutionControl generate(ExecutionEnv env, Map<String, String> parameters) {
            return control;
        }
    }
}
