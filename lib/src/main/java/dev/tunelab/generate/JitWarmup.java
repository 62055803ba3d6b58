package dev.tunelab.generate;

import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;

/**
 * Runs the Java decoder's kernels on a tiny model once per JVM, so that the JIT compiles them
 * before real work arrives. Until C2 compiles it, Vector API code runs about 100 times slower
 * (each vector becomes an object), and a first prompt through a 135M-parameter model then took
 * 8 s instead of 0.3 s. The tiny model covers what the kernels branch on: one and several
 * tokens per step, full and part-filled panels, with and without biases. Results are unaffected.
 */
final class JitWarmup {
    private static boolean done;

    private JitWarmup() {}

    static synchronized void once() {
        if (done) {
            return;
        }
        done = true;
        // hidden 40 and 2 x 72 gate/up outputs leave the last panel part-filled; biases on every projection
        LlamaConfig tiny = LlamaConfig.builder().vocabSize(64).hiddenSize(40).intermediateSize(72).layers(2).heads(4)
                .kvHeads(2).maxPositions(160).attentionBias(true).initializerRange(0.5).build();
        try (LlamaModel model = LlamaModel.create(tiny, 1)) {
            JavaDecoder decoder = new JavaDecoder(DecoderWeights.read(model), 2, 160, new Workers(1));
            for (int round = 0; round < 8; round++) {
                decoder.reset();
                decoder.feed(new int[][] {{3, 4, 5, 6, 7}, {8, 9}});
                for (int t = 0; t < 30; t++) { // one token for row 0, four for row 1: both product kernels
                    decoder.feed(new int[][] {{10 + t}, {11, 12, 13, 14}});
                }
            }
        }
    }
}
