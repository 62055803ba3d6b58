package dev.tunelab.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Answers the running cell when the kernel process exits under it. {@link ExitCalls} only
 * reroutes exit calls in the cell's own code; one made by a library, or through reflection,
 * still ends the JVM. Shutdown hooks run first, so the cell gets an error and its reply
 * before the process ends, instead of a silent "kernel died". ({@code Runtime.halt} skips
 * the hooks; from outside the cell's code it ends the kernel without a word.)
 */
final class ExitNotice {
    /** Sends the cell its error, its reply and the idle status, as the end of the cell would. */
    interface Answer {
        void send(String name, String message, List<String> traceback);
    }

    private static final Set<String> EXIT_CLASSES = Set.of("java.lang.Shutdown", "java.lang.Runtime", "java.lang.System");
    private static final long ANSWER_MILLIS = 2_000;  // a client that does not read must not keep the JVM alive
    private static final long DELIVERY_MILLIS = 500;  // ZeroMQ sends from its own thread, which the exit stops

    private volatile Answer running;
    private volatile boolean closing;

    ExitNotice() {
        Runtime.getRuntime().addShutdownHook(new Thread(this::onExit, "tunelab-exit-notice"));
    }

    void cellStarted(Answer answer) {
        running = answer;
    }

    void cellEnded() {
        running = null;
    }

    /** The kernel shuts down on request: its exit is no news to the client. */
    void closing() {
        closing = true;
    }

    private void onExit() {
        Answer answer = running;
        if (answer == null || closing) return;
        List<String> caller = exitCaller(Thread.getAllStackTraces());
        if (caller == null) return; // a signal, not an exit call
        String message = "System.exit was called by code outside the cell (a library, or through reflection):"
                + " the kernel process is ending and its variables are lost; Jupyter restarts it";
        Thread send = new Thread(() -> answer.send("SystemExit", message, caller), "tunelab-exit-answer");
        send.setDaemon(true);
        send.start();
        try {
            send.join(ANSWER_MILLIS);
            Thread.sleep(DELIVERY_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The traceback of the exit call: the frames below Runtime.exit; null when no thread is in it. */
    static List<String> exitCaller(Map<Thread, StackTraceElement[]> stacks) {
        for (StackTraceElement[] stack : stacks.values()) {
            int exit = -1;
            for (int i = 0; i < stack.length; i++) {
                if (stack[i].getClassName().equals("java.lang.Runtime") && stack[i].getMethodName().equals("exit")) exit = i;
            }
            if (exit < 0) continue;
            int first = exit;
            while (first < stack.length && EXIT_CLASSES.contains(stack[first].getClassName())) first++;
            List<String> lines = new ArrayList<>();
            lines.add("SystemExit: System.exit was called; the kernel process is ending");
            boolean cellShown = false;
            for (int i = first; i < stack.length && lines.size() < 12; i++) {
                String cls = stack[i].getClassName();
                if (cls.startsWith("jdk.internal.reflect.") || cls.startsWith("java.lang.reflect.")) continue;
                if (cls.startsWith("REPL.")) { // the cell's own frames, under JShell's wrapper names
                    if (!cellShown) lines.add("\tat the cell's code");
                    cellShown = true;
                    continue;
                }
                if (cellShown) break; // below the cell is the kernel
                lines.add("\tat " + stack[i]);
            }
            return lines;
        }
        return null;
    }
}
