package dev.tunelab.generate;

/**
 * One prompt's continuation.
 *
 * @param tokens the new token ids (without the prompt; the EOS token itself is not included)
 * @param text decoded continuation, cut before a stop string; null when no decoder was given
 * @param finishReason "eos", "stop" (a stop string), or "length"
 */
public record Generation(long[] prompt, long[] tokens, String text, String finishReason) {}
