package dev.tunelab.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The export to run.c's layout undoes transformers' q/k permutation, and the prompt has the requested length. */
class Llama2cTest {
    /**
     * transformers' convert_llama_weights_to_hf.py permute: w.view(heads, dim1 / heads / 2, 2, dim2)
     * .transpose(1, 2): row (h, i, j) of the interleaved layout goes to row (h, j, i).
     */
    static float[] hfPermute(float[] interleaved, int heads, int headDim, int in) {
        float[] out = new float[interleaved.length];
        int half = headDim / 2;
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) {
                    System.arraycopy(interleaved, (h * headDim + i * 2 + j) * in, out, (h * headDim + j * half + i) * in, in);
                }
            }
        }
        return out;
    }

    @Test
    void interleavedUndoesTheHuggingFacePermutation() {
        int heads = 3;
        int headDim = 8;
        int in = 5;
        float[] original = new float[heads * headDim * in];
        for (int i = 0; i < original.length; i++) {
            original[i] = i;
        }
        assertArrayEquals(original, Llama2c.interleaved(hfPermute(original, heads, headDim, in), heads, headDim, in));
    }

    @Test
    void promptTextIsTheRequestedNumberOfRunCTokens() {
        // BOS + the dummy-prefix space + one byte token per letter
        assertEquals("abcdef", Llama2c.promptText(8));
        assertEquals(28, Llama2c.promptText(30).length());
    }
}
