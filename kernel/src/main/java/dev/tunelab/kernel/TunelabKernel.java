package dev.tunelab.kernel;

import io.github.spencerpark.jupyter.channels.JupyterConnection;
import io.github.spencerpark.jupyter.channels.ShellReplyEnvironment;
import io.github.spencerpark.jupyter.kernel.BaseKernel;
import io.github.spencerpark.jupyter.kernel.LanguageInfo;
import io.github.spencerpark.jupyter.kernel.ReplacementOptions;
import io.github.spencerpark.jupyter.kernel.display.DisplayData;
import io.github.spencerpark.jupyter.kernel.display.mime.MIMEType;
import io.github.spencerpark.jupyter.kernel.history.HistoryManager;
import io.github.spencerpark.jupyter.messages.Header;
import io.github.spencerpark.jupyter.messages.Message;
import io.github.spencerpark.jupyter.messages.MessageType;
import io.github.spencerpark.jupyter.messages.publish.PublishError;
import io.github.spencerpark.jupyter.messages.publish.PublishExecuteInput;
import io.github.spencerpark.jupyter.messages.publish.PublishExecuteResult;
import io.github.spencerpark.jupyter.messages.publish.PublishStatus;
import io.github.spencerpark.jupyter.messages.reply.ErrorReply;
import io.github.spencerpark.jupyter.messages.reply.ExecuteReply;
import io.github.spencerpark.jupyter.messages.reply.KernelInfoReply;
import io.github.spencerpark.jupyter.messages.request.ExecuteRequest;
import io.github.spencerpark.jupyter.messages.request.KernelInfoRequest;
import java.util.List;
import java.util.Map;

/**
 * The tunelab Jupyter kernel: IJava-compatible cells on JShell in this JVM. Replaces two of
 * the base library's handlers: execute (to show the user's exception instead of a wrapper and
 * to report interrupted cells) and kernel_info (the base reply lacks {@code "status": "ok"}).
 */
public final class TunelabKernel extends BaseKernel {
    private static final String VERSION = "0.1.0";

    private final Evaluator evaluator;
    private final Cells cells;
    private final CellIO io = new CellIO(OutputLimit.fromEnvironment(System.getenv()));
    private final History history = new History();
    private final ExitNotice exitNotice = new ExitNotice();
    private final LanguageInfo languageInfo = new LanguageInfo.Builder("java")
            .version(Runtime.version().toString())
            .mimetype("text/x-java-source")
            .fileExtension(".jshell")
            .pygments("java")
            .codemirror("text/x-java")
            .build();

    public TunelabKernel() {
        evaluator = new Evaluator();
        cells = new Cells(evaluator, new MavenResolver(MavenResolver.defaultLocalRepo(), MavenResolver.jarNamesOnClassPath()));
        Notebook.install(new Notebook(io));
        List<String> skipped = Imports.apply(evaluator, Imports.configured());
        if (!skipped.isEmpty() && System.getenv("TUNELAB_KERNEL_DEBUG") != null) {
            System.err.println("tunelab kernel: skipped imports " + skipped);
        }
    }

    @Override
    public void becomeHandlerForConnection(JupyterConnection connection) {
        super.becomeHandlerForConnection(connection);
        connection.setHandler(MessageType.EXECUTE_REQUEST, this::handleExecute);
        connection.setHandler(MessageType.KERNEL_INFO_REQUEST, this::handleKernelInfo);
        connection.setHandler(MessageType.HISTORY_REQUEST, new HistoryHandler(history)::handle);
    }

    @Override
    public LanguageInfo getLanguageInfo() {
        return languageInfo;
    }

    @Override
    public String getBanner() {
        return "tunelab (Java " + Runtime.version() + ", JShell)";
    }

    @Override
    public HistoryManager getHistoryManager() {
        return history;
    }

    /** Runs a cell and renders its value; for tests and benchmarks that skip the protocol. */
    public DisplayData eval(String code) throws Exception {
        return eval(code, "cell");
    }

    /** Runs a cell whose errors name it {@code label}, and renders its value. */
    private DisplayData eval(String code, String label) throws Exception {
        Evaluator.Result result = cells.run(code, label);
        if (!result.hasValue() || result.value() == null) return null;
        return Notebook.render(result.value());
    }

    @Override
    public void interrupt() {
        evaluator.interrupt();
    }

    @Override
    public ReplacementOptions complete(String code, int at) {
        Evaluator.Completions c = evaluator.complete(code, at);
        return new ReplacementOptions(c.matches(), c.start(), c.end());
    }

    @Override
    public DisplayData inspect(String code, int at, boolean extraDetail) {
        String doc = evaluator.documentation(code, at);
        return doc.isEmpty() ? null : new DisplayData(doc);
    }

    @Override
    public String isComplete(String code) {
        return switch (evaluator.completeness(code)) {
            case "complete" -> IS_COMPLETE_YES;
            case "invalid" -> IS_COMPLETE_BAD;
            default -> "";
        };
    }

    @Override
    public void onShutdown(boolean isRestarting) {
        exitNotice.closing();
        evaluator.close();
    }

    private synchronized void handleExecute(ShellReplyEnvironment env, Message<ExecuteRequest> message) {
        commManager.setMessageContext(message);
        ExecuteRequest request = message.getContent();
        int count = request.isSilent() ? executionCount.get() : executionCount.getAndIncrement();
        env.setBusyDeferIdle();
        if (!request.isSilent()) env.publish(new PublishExecuteInput(request.getCode(), count));
        io.attach(env);
        exitNotice.cellStarted((name, text, traceback) -> answerAtExit(env, count, name, text, traceback));
        try {
            DisplayData result = eval(request.getCode(), SourceMap.cellLabel(count));
            io.endOutput();
            if (request.shouldStoreHistory()) history.add(count, request.getCode(), text(result));
            if (result != null && !request.isSilent()) env.publish(new PublishExecuteResult(count, result));
            env.defer().reply(new ExecuteReply(count, Map.of()));
        } catch (CellException e) {
            io.endOutput();
            if (request.shouldStoreHistory()) history.add(count, request.getCode(), "");
            replyError(env, count, e.name(), e.getMessage(), e.traceback());
        } catch (Exception | LinkageError e) {
            io.endOutput(); // a failure of the kernel itself, not of user code: show all of it
            replyError(env, count, e.getClass().getName(), String.valueOf(e.getMessage()), formatError(asException(e)));
        } finally {
            exitNotice.cellEnded();
            io.detach(env);
        }
    }

    /**
     * The cell's error, reply and idle status while the process exits under it. Sent on the
     * sockets directly: the shell thread still waits in this cell and will never answer.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private void answerAtExit(ShellReplyEnvironment env, int count, String name, String text, List<String> traceback) {
        io.endOutput();
        env.getIopub().sendMessage(new Message<>(env.getContext(), PublishError.MESSAGE_TYPE, new PublishError(name, text, traceback)));
        ErrorReply reply = new ErrorReply(name, text, traceback);
        reply.setExecutionCount(count);
        env.getShell().sendMessage(new Message(env.getContext(), ExecuteReply.MESSAGE_TYPE.error(), reply));
        env.getIopub().sendMessage(new Message<>(env.getContext(), PublishStatus.MESSAGE_TYPE, PublishStatus.IDLE));
    }

    private static Exception asException(Throwable t) {
        return t instanceof Exception e ? e : new RuntimeException(t);
    }

    private static String text(DisplayData data) {
        if (data == null) return "";
        Object t = data.getData(MIMEType.TEXT_PLAIN);
        return t == null ? "" : t.toString();
    }

    private void replyError(ShellReplyEnvironment env, int count, String name, String message, List<String> traceback) {
        env.publish(new PublishError(name, message, traceback));
        ErrorReply reply = new ErrorReply(name, message, traceback);
        reply.setExecutionCount(count);
        env.defer().replyError(ExecuteReply.MESSAGE_TYPE.error(), reply);
    }

    private void handleKernelInfo(ShellReplyEnvironment env, Message<KernelInfoRequest> message) {
        env.setBusyDeferIdle();
        env.reply(new OkKernelInfoReply(Header.PROTOCOL_VERISON, "tunelab", VERSION, languageInfo, getBanner(), getHelpLinks()));
    }

    /** The base reply without its missing status field; Gson serializes this field too. */
    static final class OkKernelInfoReply extends KernelInfoReply {
        @SuppressWarnings("unused")
        private final String status = "ok";

        OkKernelInfoReply(String protocol, String name, String version, LanguageInfo info, String banner, List<LanguageInfo.Help> help) {
            super(protocol, name, version, info, banner, help);
        }
    }
}
