package dev.tunelab.train;

import dev.tunelab.io.JinjaChatTemplate;
import dev.tunelab.io.Tokenizer;
import dev.tunelab.train.ChatTemplate.Message;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A model's own chat template ({@code chat_template} of its {@code tokenizer_config.json}) as a
 * {@link PromptTemplate} for conversations: what {@link ChatTemplate#forModel} gives for a
 * tokenizer that has one.
 *
 * <p>For SFT the whole conversation is rendered by the template and tokenized as one text, as
 * transformers' {@code apply_chat_template(tokenize=True)} and TRL do; the loss is on the assistant
 * messages only (TRL's {@code assistant_only_loss}): each assistant message's text and the special
 * token that ends its turn, found by {@link AssistantSpans}. A token is trained when any of its
 * characters is. The tokenizer adds no special tokens (no BOS): the template writes the ones the
 * model expects, so a template that starts with {@code bos_token} gets exactly one.
 *
 * <p>For generation, {@link #prompt} is the conversation up to its last message that is not an
 * assistant answer, rendered with {@code add_generation_prompt=True}.
 */
public final class ModelChatTemplate implements PromptTemplate<List<Message>> {
    private static final Set<String> ASSISTANT = Set.of("assistant");

    private final JinjaChatTemplate template;
    private final List<String> specialTokens;

    private ModelChatTemplate(JinjaChatTemplate template, List<String> specialTokens) {
        this.template = template;
        this.specialTokens = List.copyOf(specialTokens);
    }

    /**
     * The tokenizer's chat template (the default one when it has several).
     *
     * @throws dev.tunelab.io.TokenizerException when it has none, or it does not compile
     */
    public static ModelChatTemplate of(Tokenizer tokenizer) {
        return of(tokenizer, tokenizer.jinjaChatTemplate());
    }

    /** The tokenizer's chat template called {@code name} (see {@link Tokenizer#chatTemplates()}). */
    public static ModelChatTemplate of(Tokenizer tokenizer, String name) {
        return of(tokenizer, tokenizer.jinjaChatTemplate(name));
    }

    /** {@code template} (e.g. with a fixed clock for {@code strftime_now}) with the tokenizer's special tokens. */
    public static ModelChatTemplate of(Tokenizer tokenizer, JinjaChatTemplate template) {
        Objects.requireNonNull(template, "template");
        List<String> specials = new ArrayList<>(tokenizer.specialTokens());
        tokenizer.eosToken().ifPresent(specials::add);
        return new ModelChatTemplate(template, specials);
    }

    @Override
    public List<Segment> render(List<Message> messages) {
        AssistantSpans.Rendered r = AssistantSpans.find(template, ChatTemplate.checked(messages), ASSISTANT, specialTokens);
        List<Segment> out = new ArrayList<>();
        int pos = 0;
        for (AssistantSpans.Span s : r.trained()) {
            if (s.start() > pos) {
                out.add(new Segment(r.text().substring(pos, s.start()), false));
            }
            if (s.end() > s.start()) {
                out.add(new Segment(r.text().substring(s.start(), s.end()), true));
            }
            pos = s.end();
        }
        if (pos < r.text().length()) {
            out.add(new Segment(r.text().substring(pos), false));
        }
        return out;
    }

    /** The conversation up to its last message that is not an assistant answer, and the assistant's header. */
    @Override
    public String prompt(List<Message> messages) {
        return template.render(AssistantSpans.asMaps(ChatTemplate.context(messages), null), true);
    }

    /**
     * The special token the template ends an assistant turn with ({@code <|im_end|>},
     * {@code <|eot_id|>}, {@code </s>}), found by rendering a one-question conversation; empty when
     * the template ends turns with plain text. Generation stops there.
     */
    public Optional<String> endOfTurn() {
        List<Message> probe = List.of(Message.user("Hi"), Message.assistant("Hello"));
        AssistantSpans.Rendered r = AssistantSpans.find(template, probe, ASSISTANT, specialTokens);
        AssistantSpans.Span s = r.trained().get(0);
        String text = r.text().substring(s.start(), s.end());
        return text.endsWith("Hello") ? Optional.empty() : Optional.of(text.substring(text.lastIndexOf("Hello") + 5));
    }

    /** No EOS: the template ends each turn itself. */
    @Override
    public boolean appendEos() {
        return false;
    }

    /** The template writes the special tokens (BOS included) the model expects. */
    @Override
    public boolean addSpecialTokens() {
        return false;
    }

    @Override
    public boolean tokenizeAsOneText() {
        return true;
    }

    /** "chat_template:" and the first 12 hex digits of the template's SHA-256. */
    @Override
    public String name() {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(template.text().getBytes(StandardCharsets.UTF_8));
            return "chat_template:" + HexFormat.of().formatHex(h).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The Jinja template behind this one. */
    public JinjaChatTemplate jinja() {
        return template;
    }

    @Override
    public String toString() {
        return "ModelChatTemplate(" + name() + ", " + template.file() + ")";
    }
}
