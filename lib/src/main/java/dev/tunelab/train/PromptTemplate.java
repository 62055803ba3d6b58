package dev.tunelab.train;

import dev.tunelab.io.Tokenizer;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * How a supervised fine-tuning example becomes text: a list of {@link Segment}s in order, each
 * marked as trained on (the answer the model should learn to write) or not (the prompt it only
 * reads). {@link SftEncoder} tokenizes every segment on its own and concatenates the ids, so the
 * boundary between prompt and answer is exact in tokens, not guessed from characters.
 *
 * <p>Ready-made ones: {@link #alpaca()} for {@link SftExample}s, {@link ChatTemplate#forModel} (the
 * model's own chat template) and {@link ChatTemplate#CHATML} for conversations, and
 * {@link #of(Function, Function)} for your own prompt/response pair:
 * <pre>{@code
 * PromptTemplate<String[]> qa = PromptTemplate.of(x -> "Q: " + x[0] + "\nA: ", x -> x[1]);
 * }</pre>
 *
 * @param <T> the example type
 */
public interface PromptTemplate<T> {

    /** A piece of rendered text; {@code trained} pieces carry the loss, the others get label -100. */
    record Segment(String text, boolean trained) {
        public Segment {
            Objects.requireNonNull(text, "text");
        }
    }

    /** The whole example, prompt and answer, as segments in order. */
    List<Segment> render(T example);

    /**
     * The text a model is given at inference time to answer this example: everything before the
     * (last) answer. Generation continues from here.
     */
    String prompt(T example);

    /**
     * Whether the tokenizer's EOS token is appended after the last segment (trained, so the model
     * learns to stop). Alpaca does this; ChatML ends turns with its own {@code <|im_end|>} instead.
     */
    default boolean appendEos() {
        return true;
    }

    /**
     * Whether the tokenizer adds its own special tokens (BOS, when its config says so) in front.
     * False for a template that writes them itself, as a model's chat template does: otherwise a
     * template starting with {@code bos_token} would get a second BOS.
     */
    default boolean addSpecialTokens() {
        return true;
    }

    /**
     * Whether the segments are tokenized as one text, a token being trained when any of its
     * characters is in a trained segment (as transformers and TRL tokenize a chat template's
     * output), rather than each segment on its own (exact boundaries, see {@link SftEncoder}).
     */
    default boolean tokenizeAsOneText() {
        return false;
    }

    /**
     * The token ids to generate an answer from: the tokenizer's BOS when it adds one and
     * {@link #addSpecialTokens()} says so, then {@link #prompt} (never an EOS).
     */
    default long[] promptIds(T example, Tokenizer tokenizer) {
        long[] prompt = tokenizer.encode(prompt(example), false);
        if (!addSpecialTokens() || !tokenizer.addsBos()) {
            return prompt;
        }
        long[] out = new long[prompt.length + 1];
        out[0] = tokenizer.bosId().getAsLong();
        System.arraycopy(prompt, 0, out, 1, prompt.length);
        return out;
    }

    /** A name for run records and fingerprints; two templates that render differently need different names. */
    String name();

    /**
     * A single-turn template from two functions: the prompt text (not trained) and the response
     * text (trained), followed by EOS.
     */
    static <T> PromptTemplate<T> of(String name, Function<T, String> prompt, Function<T, String> response) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(response, "response");
        return new PromptTemplate<>() {
            @Override
            public List<Segment> render(T example) {
                return List.of(new Segment(prompt(example), false), new Segment(required(response.apply(example), "response"), true));
            }

            @Override
            public String prompt(T example) {
                return required(prompt.apply(example), "prompt");
            }

            @Override
            public String name() {
                return name;
            }

            @Override
            public String toString() {
                return "PromptTemplate(" + name + ")";
            }
        };
    }

    /** {@link #of(String, Function, Function)} with the name "custom". */
    static <T> PromptTemplate<T> of(Function<T, String> prompt, Function<T, String> response) {
        return of("custom", prompt, response);
    }

    // Stanford Alpaca's prompts, word for word from PROMPT_DICT in train.py of
    // https://github.com/tatsu-lab/stanford_alpaca (the response follows "### Response:" directly,
    // and train.py appends the EOS token to it).
    String ALPACA_WITH_INPUT = "Below is an instruction that describes a task, paired with an input that provides"
            + " further context. Write a response that appropriately completes the request.\n\n"
            + "### Instruction:\n%s\n\n### Input:\n%s\n\n### Response:";
    String ALPACA_NO_INPUT = "Below is an instruction that describes a task."
            + " Write a response that appropriately completes the request.\n\n"
            + "### Instruction:\n%s\n\n### Response:";

    /**
     * Stanford Alpaca's template exactly as its train.py formats it: the "with input" wording
     * when {@link SftExample#input()} is not empty, the shorter one otherwise; the output is
     * trained and followed by EOS.
     */
    static PromptTemplate<SftExample> alpaca() {
        return alpaca("");
    }

    /**
     * Alpaca with {@code separator} written after "### Response:" and before the output, as part
     * of the prompt. Many later tools (torchtune, Unsloth notebooks) use {@code "\n"}; a model
     * should be prompted the way it was trained.
     */
    static PromptTemplate<SftExample> alpaca(String separator) {
        Objects.requireNonNull(separator, "separator");
        String name = separator.isEmpty() ? "alpaca" : "alpaca+" + separator.replace("\n", "\\n");
        return of(name, e -> {
            String instruction = required(e.instruction(), "instruction");
            String input = e.input() == null ? "" : e.input();
            return (input.isEmpty() ? String.format(ALPACA_NO_INPUT, instruction)
                    : String.format(ALPACA_WITH_INPUT, instruction, input)) + separator;
        }, e -> required(e.output(), "output"));
    }

    /** Null check with the field's name, for the error message. */
    private static String required(String value, String field) {
        if (value == null) {
            throw new IllegalArgumentException("the example's " + field + " is null");
        }
        return value;
    }
}
