package dev.tunelab.align;

import dev.tunelab.data.PreferenceExample;
import dev.tunelab.io.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A tokenized preference pair: the prompt's ids (starting with BOS) and the ids of the preferred
 * and the dispreferred completion. A completion may be empty (a model that stopped at once, read
 * back from its text without the EOS). Sampled completions are kept as the ids the model produced, so
 * no round trip through text can change them.
 */
public record PreferencePair(long[] prompt, long[] chosen, long[] rejected) {
    public PreferencePair {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("a preference pair needs a prompt of at least one token (BOS)");
        }
        if (Arrays.equals(chosen, rejected)) {
            throw new IllegalArgumentException("chosen and rejected completions are the same " + chosen.length + " tokens");
        }
    }

    /**
     * Tokenizes as TRL does: the prompt with the tokenizer's special tokens (BOS), each completion
     * without them and followed by EOS; prompts keep their last {@code maxPromptTokens} tokens,
     * completions their first {@code maxCompletionTokens}.
     */
    public static PreferencePair tokenize(Tokenizer tokenizer, PreferenceExample example, int maxPromptTokens,
            int maxCompletionTokens) {
        long[] prompt = tokenizer.encode(example.prompt());
        if (prompt.length > maxPromptTokens) {
            prompt = Arrays.copyOfRange(prompt, prompt.length - maxPromptTokens, prompt.length);
        }
        return new PreferencePair(prompt, completion(tokenizer, example.chosen(), maxCompletionTokens),
                completion(tokenizer, example.rejected(), maxCompletionTokens));
    }

    private static long[] completion(Tokenizer tokenizer, String text, int max) {
        long[] ids = tokenizer.encode(text, false);
        long[] out = Arrays.copyOf(ids, Math.min(ids.length + 1, max));
        if (ids.length < max) {
            out[ids.length] = tokenizer.eosId().orElseThrow(() -> new IllegalArgumentException("the tokenizer has no EOS token"));
        }
        return out;
    }

    /**
     * The pairs at {@code rows} as one batch: their chosen completions (rows 0..b-1), then their
     * rejected ones (rows b..2b-1), so that both sides go through one forward pass.
     */
    static CompletionBatch chosenThenRejected(List<PreferencePair> pairs, int[] rows) {
        List<long[]> prompts = new ArrayList<>();
        List<long[]> completions = new ArrayList<>();
        for (int r : rows) {
            prompts.add(pairs.get(r).prompt());
            completions.add(pairs.get(r).chosen());
        }
        for (int r : rows) {
            prompts.add(pairs.get(r).prompt());
            completions.add(pairs.get(r).rejected());
        }
        return CompletionBatch.of(prompts, completions);
    }
}
