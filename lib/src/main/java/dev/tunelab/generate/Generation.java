package dev.tunelab.generate;

/**
 * One prompt's continuation.
 *
 * @param tokens the new token ids (without the prompt; the EOS token itself is not included)
 * @param text decoded continuation, cut before a stop string; null when no decoder was given
 * @param finishReason "eos", "stop" (a stop string), "length", or "cancelled" (a
 *     {@link Generator.TokenListener} stopped it)
 * @param eosToken the end token that stopped it when finishReason is "eos" (a model may have
 *     several, as Llama 3 does), else -1
 */
public record Generation(long[] prompt, long[] tokens, String text, String finishReason, long eosToken) {
    /** A continuation that did not stop at an end token. */
    public Generation(long[] prompt, long[] tokens, String text, String finishReason) {
        this(prompt, tokens, text, finishReason, -1);
    }
}
