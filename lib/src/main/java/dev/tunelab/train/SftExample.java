package dev.tunelab.train;

/**
 * One instruction-following example in the fields Alpaca and Dolly use: what to do, optional
 * extra input (empty when there is none) and the answer to learn. Render it with
 * {@link PromptTemplate#alpaca()}.
 */
public record SftExample(String instruction, String input, String output) {

    /** An example without input. */
    public static SftExample of(String instruction, String output) {
        return new SftExample(instruction, "", output);
    }
}
