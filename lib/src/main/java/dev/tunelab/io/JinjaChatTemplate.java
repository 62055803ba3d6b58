package dev.tunelab.io;

import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A model's chat template (the Jinja {@code chat_template} of {@code tokenizer_config.json}, or
 * {@code chat_template.jinja}), rendered as transformers' {@code apply_chat_template(...,
 * tokenize=False)} renders it: with the variables {@code messages}, {@code add_generation_prompt},
 * {@code tools} and {@code documents} (None), the tokenizer's special tokens ({@code bos_token},
 * {@code eos_token}, {@code pad_token}, {@code unk_token}, {@code additional_special_tokens}, ...),
 * and the globals {@code raise_exception} and {@code strftime_now}; see {@link JinjaTemplate} for
 * how the Jinja dialect is made to match Python's.
 *
 * <p>Get one from {@link Tokenizer#jinjaChatTemplate()}. The text it renders already holds every
 * special token the model expects (Llama 3's template writes {@code <|begin_of_text|>} itself), so
 * it is tokenized without adding special tokens, as transformers does.
 *
 * <p>A template that does not compile, raises ({@code raise_exception("Conversation roles must
 * alternate ...")}) or uses something the engine lacks fails with a {@link TokenizerException}
 * that names the file the template came from and what failed.
 */
public final class JinjaChatTemplate {
    private final String name;
    private final String text;
    private final Path file;
    private final Map<String, Object> specialTokens;
    private final Clock clock;
    private final JinjaTemplate compiled;

    JinjaChatTemplate(String name, String text, Path file, Map<String, Object> specialTokens, Clock clock) {
        this.name = Objects.requireNonNull(name, "name");
        this.text = Objects.requireNonNull(text, "text");
        this.file = file;
        this.specialTokens = Map.copyOf(specialTokens);
        this.clock = Objects.requireNonNull(clock, "clock");
        try {
            this.compiled = JinjaTemplate.compile(text, clock);
        } catch (JinjaTemplate.JinjaException e) {
            throw new TokenizerException(file, what() + " cannot be used: " + e.getMessage(), e);
        }
    }

    /**
     * {@code messages} ({@code role}, {@code content} and whatever else the template reads) as
     * text; {@code addGenerationPrompt} appends the header of the assistant's turn.
     */
    public String render(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /**
     * As {@link #render(List, boolean)}, with more variables for the template (what transformers
     * takes as {@code **kwargs} of apply_chat_template, e.g. {@code tools}, {@code date_string},
     * {@code enable_thinking}); they override the special tokens, not {@code messages} or
     * {@code add_generation_prompt}.
     */
    public String render(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt, Map<String, ?> variables) {
        Objects.requireNonNull(messages, "messages");
        Map<String, Object> vars = new HashMap<>(specialTokens);
        vars.put("tools", null);
        vars.put("documents", null);
        vars.putAll(variables);
        vars.put("messages", messages);
        vars.put("add_generation_prompt", addGenerationPrompt);
        try {
            return compiled.render(vars);
        } catch (JinjaTemplate.JinjaException e) {
            throw new TokenizerException(file, what() + " failed on these messages: " + e.getMessage(), e);
        }
    }

    /** The same template with {@code strftime_now} reading {@code clock} (for reproducible prompts and tests). */
    public JinjaChatTemplate withClock(Clock clock) {
        return new JinjaChatTemplate(name, text, file, specialTokens, clock);
    }

    /** "default", or the name of one of several templates. */
    public String name() {
        return name;
    }

    /** The Jinja source. */
    public String text() {
        return text;
    }

    /** The file the template was read from. */
    public Path file() {
        return file;
    }

    /** The special-token variables the template sees. */
    public Map<String, Object> specialTokens() {
        return specialTokens;
    }

    private String what() {
        return name.equals("default") ? "chat_template" : "chat_template '" + name + "'";
    }

    @Override
    public String toString() {
        return "JinjaChatTemplate[" + name + ", " + file + "]";
    }
}
