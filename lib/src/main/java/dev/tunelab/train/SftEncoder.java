package dev.tunelab.train;

import dev.tunelab.io.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Turns examples into token ids and labels with a {@link PromptTemplate}.
 *
 * <p>Each segment of the rendered example is tokenized on its own and the ids are concatenated,
 * so every token belongs to exactly one segment and the prompt/answer boundary is exact (the
 * tokens of "prompt + answer" tokenized together can merge across the boundary). The tokenizer's
 * BOS, when it adds one, starts the sequence; the template's EOS, when it wants one, ends it and
 * is trained. Labels are the ids on trained segments and {@link Losses#IGNORE_INDEX} elsewhere
 * (or the ids everywhere with {@code trainOnPrompt}). Sequences longer than {@code maxLength}
 * keep their first {@code maxLength} tokens: the prompt's start survives, the answer's end does
 * not, and the sequence says so.
 *
 * <p>Caveat: SentencePiece-style tokenizers (Llama 2, Mistral) put a word-start marker on every
 * separately tokenized segment; the answer then starts with that marker in training, which is
 * also what the model sees when it generates after the prompt.
 *
 * <p>A template that {@linkplain PromptTemplate#tokenizeAsOneText() tokenizes as one text} (a
 * model's chat template, {@link ModelChatTemplate}) is encoded in one piece instead, as
 * transformers encodes a chat template's output, and a token is trained when any of its
 * characters belongs to a trained segment; such a template writes its own special tokens, so the
 * tokenizer adds no BOS.
 *
 * @param <T> the example type of the template
 */
public final class SftEncoder<T> {
    private final Tokenizer tokenizer;
    private final PromptTemplate<T> template;
    private final int maxLength;
    private final boolean trainOnPrompt;
    private final boolean addsBos;

    /**
     * @param maxLength longest sequence in tokens, BOS and EOS included (at least 2)
     * @param trainOnPrompt also take the loss on the prompt tokens (a plain language-model loss)
     */
    public SftEncoder(Tokenizer tokenizer, PromptTemplate<T> template, int maxLength, boolean trainOnPrompt) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.template = Objects.requireNonNull(template, "template");
        if (maxLength < 2) {
            throw new IllegalArgumentException("maxLength must be at least 2, got " + maxLength);
        }
        this.maxLength = maxLength;
        this.trainOnPrompt = trainOnPrompt;
        // BOS when the tokenizer's config adds one (Llama does, GPT-2 and Qwen do not), unless the
        // template writes its own special tokens (a model's chat template).
        this.addsBos = template.addSpecialTokens() && tokenizer.addsBos();
        if (template.appendEos() && tokenizer.eosId().isEmpty()) {
            throw new IllegalArgumentException("template " + template.name()
                    + " appends EOS, but the tokenizer has no eos_token (" + tokenizer.file() + ")");
        }
    }

    /** Ids and labels of one example. */
    public SftSequence encode(T example) {
        List<Long> ids = new ArrayList<>();
        List<Boolean> trained = new ArrayList<>();
        if (addsBos) {
            ids.add(tokenizer.bosId().getAsLong());
            trained.add(false);
        }
        List<PromptTemplate.Segment> segments = template.render(example);
        if (template.tokenizeAsOneText()) {
            addTogether(segments, ids, trained);
        } else {
            for (PromptTemplate.Segment segment : segments) {
                for (long id : tokenizer.encode(segment.text(), false)) {
                    ids.add(id);
                    trained.add(segment.trained());
                }
            }
        }
        if (template.appendEos()) {
            ids.add(tokenizer.eosId().getAsLong());
            trained.add(true);
        }
        int n = Math.min(ids.size(), maxLength);
        boolean responseCut = trained.subList(n, trained.size()).contains(true);
        long[] idArray = new long[n];
        long[] labels = new long[n];
        for (int t = 0; t < n; t++) {
            idArray[t] = ids.get(t);
            labels[t] = trained.get(t) || trainOnPrompt ? ids.get(t) : Losses.IGNORE_INDEX;
        }
        return new SftSequence(idArray, labels, n < ids.size(), responseCut);
    }

    /** The segments as one text; a token is trained when any of its characters is in a trained segment. */
    private void addTogether(List<PromptTemplate.Segment> segments, List<Long> ids, List<Boolean> trained) {
        StringBuilder text = new StringBuilder();
        boolean[] trainedChar = new boolean[segments.stream().mapToInt(s -> s.text().length()).sum()];
        for (PromptTemplate.Segment segment : segments) {
            if (segment.trained()) {
                java.util.Arrays.fill(trainedChar, text.length(), text.length() + segment.text().length(), true);
            }
            text.append(segment.text());
        }
        Tokenizer.Encoded enc = tokenizer.encodeWithOffsets(text.toString());
        for (int t = 0; t < enc.length(); t++) {
            boolean any = false;
            for (int c = enc.start()[t]; c < enc.end()[t] && !any; c++) {
                any = trainedChar[c];
            }
            ids.add(enc.ids()[t]);
            trained.add(any);
        }
    }

    /**
     * Every example, in order. A bad example (a null field, a template error) fails with its index.
     */
    public List<SftSequence> encodeAll(List<T> examples) {
        List<SftSequence> out = new ArrayList<>(examples.size());
        for (int i = 0; i < examples.size(); i++) {
            try {
                out.add(encode(Objects.requireNonNull(examples.get(i), "the example is null")));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("example " + i + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    /** The ids to generate an answer from: BOS (if the tokenizer and template want it) and the template's prompt. */
    public long[] promptIds(T example) {
        return template.promptIds(example, tokenizer);
    }

    public PromptTemplate<T> template() {
        return template;
    }

    public int maxLength() {
        return maxLength;
    }

    public boolean trainOnPrompt() {
        return trainOnPrompt;
    }

    @Override
    public String toString() {
        return "SftEncoder(" + template.name() + ", maxLength=" + maxLength + (trainOnPrompt ? ", trainOnPrompt" : "")
                + ", bos=" + addsBos + ")";
    }
}
