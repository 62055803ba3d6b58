package dev.tunelab.kernel;

import io.github.spencerpark.jupyter.channels.ShellReplyEnvironment;
import io.github.spencerpark.jupyter.kernel.history.HistoryEntry;
import io.github.spencerpark.jupyter.kernel.history.HistoryManager.ResultFlag;
import io.github.spencerpark.jupyter.messages.ContentType;
import io.github.spencerpark.jupyter.messages.Message;
import io.github.spencerpark.jupyter.messages.MessageType;
import io.github.spencerpark.jupyter.messages.ReplyType;
import io.github.spencerpark.jupyter.messages.request.HistoryRequest;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Answers history requests. The base library's reply has no status and serializes entries
 * as objects; the protocol wants {@code "status": "ok"} and tuples
 * {@code [session, line, input]} or {@code [session, line, [input, output]]}.
 */
final class HistoryHandler {
    private final History history;

    HistoryHandler(History history) {
        this.history = history;
    }

    void handle(ShellReplyEnvironment env, Message<HistoryRequest> message) {
        HistoryRequest request = message.getContent();
        env.setBusyDeferIdle();
        Set<ResultFlag> flags = EnumSet.noneOf(ResultFlag.class);
        if (request.includeOutput()) flags.add(ResultFlag.INCLUDE_OUTPUT);
        List<HistoryEntry> entries = switch (request.getAccessType()) {
            case TAIL -> history.lookupTail(((HistoryRequest.Tail) request).getMaxReturnLength(), flags);
            case RANGE -> {
                var range = (HistoryRequest.Range) request;
                yield history.lookupRange(range.getSessionIndex(), range.getStart(), range.getStop(), flags);
            }
            case SEARCH -> {
                var search = (HistoryRequest.Search) request;
                if (search.filterUnique()) flags.add(ResultFlag.UNIQUE);
                yield history.search(search.getPattern(), search.getMaxReturnLength(), flags);
            }
        };
        env.reply(new Reply(entries));
    }

    static final class Reply implements ContentType<Reply>, ReplyType<HistoryRequest> {
        @SuppressWarnings("unused")
        private final String status = "ok";
        private final List<List<Object>> history = new ArrayList<>();

        Reply(List<HistoryEntry> entries) {
            for (HistoryEntry e : entries) {
                Object input = e.hasOutput() ? List.of(e.getInput(), e.getOutput()) : e.getInput();
                history.add(List.of(e.getSession(), e.getCellNumber(), input));
            }
        }

        @Override
        public MessageType<Reply> getType() {
            @SuppressWarnings({"unchecked", "rawtypes"})
            MessageType<Reply> type = (MessageType) MessageType.HISTORY_REPLY;
            return type;
        }

        @Override
        public MessageType<HistoryRequest> getRequestType() {
            return MessageType.HISTORY_REQUEST;
        }
    }
}
