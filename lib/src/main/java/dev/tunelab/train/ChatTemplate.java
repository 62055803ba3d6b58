package dev.tunelab.train;

import dev.tunelab.io.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The ChatML conversation format (OpenAI's, used by Qwen and SmolLM2-Instruct), written in Java: every message is
 * {@code <|im_start|>role\ncontent<|im_end|>\n}, and a model is asked to answer by ending the
 * prompt with {@code <|im_start|>assistant\n}.
 *
 * <p>For multi-turn training only the assistant turns carry the loss: each assistant message's
 * content and its {@code <|im_end|>} are trained (so the model learns to close its turn), the
 * role headers, the user and system turns and the newline between turns are not. No EOS is
 * appended: {@code <|im_end|>} is the stop token (pass its id to the Generator as EOS).
 *
 * <p>A model that ships a chat template should be trained and prompted with that template:
 * {@link #forModel(Tokenizer)}. {@link #CHATML} is for models without one (or to choose ChatML on
 * purpose); its segments are tokenized one by one, and BOS is added when the tokenizer adds it.
 */
public final class ChatTemplate implements PromptTemplate<List<ChatTemplate.Message>> {

    /** One message of a conversation; the usual roles are "system", "user" and "assistant". */
    public record Message(String role, String content) {
        public static Message system(String content) {
            return new Message("system", content);
        }

        public static Message user(String content) {
            return new Message("user", content);
        }

        public static Message assistant(String content) {
            return new Message("assistant", content);
        }
    }

    public static final String IM_START = "<|im_start|>";
    public static final String IM_END = "<|im_end|>";

    /** ChatML with loss on the assistant turns. */
    public static final ChatTemplate CHATML = new ChatTemplate(Set.of("assistant"));

    /**
     * The chat format of a model: its own chat template ({@code chat_template} of
     * tokenizer_config.json, see {@link ModelChatTemplate}), loss on the assistant turns. Pick
     * {@link #CHATML} explicitly for a model without one, or to use ChatML anyway.
     *
     * @throws dev.tunelab.io.TokenizerException when the tokenizer has no chat template, naming the file
     */
    public static ModelChatTemplate forModel(Tokenizer tokenizer) {
        return ModelChatTemplate.of(tokenizer);
    }

    private final Set<String> trainedRoles;

    /** ChatML that trains on the messages of {@code trainedRoles} (usually just "assistant"). */
    public ChatTemplate(Set<String> trainedRoles) {
        this.trainedRoles = Set.copyOf(trainedRoles);
    }

    @Override
    public List<Segment> render(List<Message> messages) {
        List<Segment> out = new ArrayList<>();
        for (Message m : checked(messages)) {
            if (trainedRoles.contains(m.role())) {
                add(out, IM_START + m.role() + "\n", false);
                add(out, m.content() + IM_END, true);
                add(out, "\n", false);
            } else {
                add(out, IM_START + m.role() + "\n" + m.content() + IM_END + "\n", false);
            }
        }
        return out;
    }

    /** The conversation up to its last message that is not an assistant answer, then the assistant header. */
    @Override
    public String prompt(List<Message> messages) {
        StringBuilder s = new StringBuilder();
        for (Message m : context(messages)) {
            s.append(IM_START).append(m.role()).append('\n').append(m.content()).append(IM_END).append('\n');
        }
        return s.append(IM_START).append("assistant\n").toString();
    }

    @Override
    public boolean appendEos() {
        return false;
    }

    @Override
    public String name() {
        return "chatml" + trainedRoles.stream().sorted().toList();
    }

    @Override
    public String toString() {
        return "ChatTemplate(" + name() + ")";
    }

    // Untrained text next to untrained text is tokenized as one piece, as a chat template string would be.
    private static void add(List<Segment> out, String text, boolean trained) {
        int last = out.size() - 1;
        if (last >= 0 && out.get(last).trained() == trained) {
            out.set(last, new Segment(out.get(last).text() + text, trained));
        } else {
            out.add(new Segment(text, trained));
        }
    }

    /** The messages before the last one when it is an assistant answer (what a model is asked to answer), all otherwise. */
    static List<Message> context(List<Message> messages) {
        List<Message> context = checked(messages);
        if (!context.isEmpty() && context.get(context.size() - 1).role().equals("assistant")) {
            return context.subList(0, context.size() - 1);
        }
        return context;
    }

    static List<Message> checked(List<Message> messages) {
        Objects.requireNonNull(messages, "messages");
        for (int i = 0; i < messages.size(); i++) {
            Message m = messages.get(i);
            if (m == null) {
                throw new IllegalArgumentException("messages[" + i + "] is null");
            }
            if (m.role() == null || m.role().isEmpty()) {
                throw new IllegalArgumentException("messages[" + i + "].role is missing");
            }
            if (m.content() == null) {
                throw new IllegalArgumentException("messages[" + i + "].content is null");
            }
        }
        return messages;
    }
}
