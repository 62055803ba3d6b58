package dev.tunelab.kernel;

import io.github.spencerpark.jupyter.channels.JupyterConnection;
import io.github.spencerpark.jupyter.channels.JupyterSocket;
import io.github.spencerpark.jupyter.channels.ShellChannel;
import io.github.spencerpark.jupyter.kernel.KernelConnectionProperties;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.zeromq.ZMQ;

/** Entry point: {@code java -cp ... dev.tunelab.kernel.Main <connection-file>}. */
public final class Main {
    /**
     * The base library logs every message at INFO. Logger levels only stick while the logger
     * is strongly reachable (LogManager holds weak references), so these are kept here.
     */
    private static final List<Logger> QUIET = List.of(
            JupyterSocket.JUPYTER_LOGGER,
            Logger.getLogger("Loop-Shell-0"), Logger.getLogger("Loop-Shell-1"), Logger.getLogger("Loop-Heartbeat-0"));

    private Main() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: Main <jupyter connection file>");
            System.exit(2);
        }
        Level level = System.getenv("TUNELAB_KERNEL_DEBUG") != null ? Level.INFO : Level.WARNING;
        QUIET.forEach(l -> l.setLevel(level));
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");

        var props = KernelConnectionProperties.parse(Files.readString(Path.of(args[0])));
        var connection = new JupyterConnection(props);
        pollShellEveryMillisecond(connection, props);
        // A PUB socket drops messages for a subscriber that is 1,000 messages behind: a cell
        // that printed fast lost output and its idle status. Blocking instead passes the
        // client's pace back to the cell (see StreamPump); with no subscriber nothing waits.
        connection.getIOPub().setXpubNoDrop(true);
        var kernel = new TunelabKernel();
        kernel.becomeHandlerForConnection(connection);
        connection.connect();
        connection.waitUntilClose();
        System.exit(0); // JShell and user threads must not keep a shut-down kernel alive
    }

    /**
     * The base library's shell and control loops sleep 50 ms whenever their socket is idle, which
     * adds 25 ms to every request on average. Its connection offers no setting for that, so the two
     * (not yet bound) channels are swapped for ones that poll every millisecond: requests are picked
     * up within 1 ms for a few microseconds of CPU per poll.
     */
    private static void pollShellEveryMillisecond(JupyterConnection connection, KernelConnectionProperties props)
            throws Exception {
        Field contextField = JupyterConnection.class.getDeclaredField("ctx");
        contextField.setAccessible(true);
        var context = (ZMQ.Context) contextField.get(connection);
        for (String name : List.of("shell", "control")) {
            Field field = JupyterConnection.class.getDeclaredField(name);
            field.setAccessible(true);
            ((ShellChannel) field.get(connection)).close();
            field.set(connection, new ShellChannel(context, props.createHMACGenerator(), name.equals("control"), connection, 1));
        }
    }
}
