package dev.tunelab.kernel;

import io.github.spencerpark.jupyter.channels.JupyterOutputStream;
import io.github.spencerpark.jupyter.channels.ShellReplyEnvironment;
import io.github.spencerpark.jupyter.kernel.display.DisplayData;
import io.github.spencerpark.jupyter.messages.publish.PublishDisplayData;
import io.github.spencerpark.jupyter.messages.publish.PublishUpdateDisplayData;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * The running cell's outputs: System.out/err as stream messages and display messages, all
 * sent to the request that is executing. Output after the cell ended has nowhere to go and
 * is dropped, as in IJava.
 */
final class CellIO {
    private final JupyterOutputStream outStream = new JupyterOutputStream(ShellReplyEnvironment::writeToStdOut);
    private final JupyterOutputStream errStream = new JupyterOutputStream(ShellReplyEnvironment::writeToStdErr);
    final PrintStream out = new PrintStream(outStream, true, StandardCharsets.UTF_8);
    final PrintStream err = new PrintStream(errStream, true, StandardCharsets.UTF_8);
    private volatile ShellReplyEnvironment env;
    private PrintStream savedOut;
    private PrintStream savedErr;

    void attach(ShellReplyEnvironment env) {
        this.env = env;
        outStream.setEnv(env);
        errStream.setEnv(env);
        savedOut = System.out;
        savedErr = System.err;
        System.setOut(out);
        System.setErr(err);
    }

    void flush() {
        out.flush();
        err.flush();
    }

    void detach(ShellReplyEnvironment env) {
        flush();
        System.setOut(savedOut);
        System.setErr(savedErr);
        outStream.retractEnv(env);
        errStream.retractEnv(env);
        this.env = null;
    }

    void display(DisplayData data) {
        ShellReplyEnvironment e = env;
        if (e == null) return;
        flush(); // keep text printed before the display above it
        e.publish(new PublishDisplayData(data));
    }

    void updateDisplay(DisplayData data) {
        ShellReplyEnvironment e = env;
        if (e != null) e.publish(new PublishUpdateDisplayData(data));
    }
}
