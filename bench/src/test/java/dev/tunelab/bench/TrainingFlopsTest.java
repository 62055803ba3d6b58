package dev.tunelab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tunelab.model.LlamaConfig;
import dev.tunelab.recipes.pretrain.Pretraining;
import org.junit.jupiter.api.Test;

class TrainingFlopsTest {
    @Test
    void baseModelHasTheParameterCountSummedByHand() {
        // embed 2048*192 = 393,216; per layer: norms 2*192 + q 192*192 + k, v 2*(64*192) + o 192*192
        // + SwiGLU 3*192*512 = 393,600; 6 layers = 2,361,600; final norm 192; tied head adds nothing.
        LlamaConfig c = Pretraining.base(2048).config();
        assertEquals(393_216 + 6 * 393_600 + 192, c.parameterCount());
        assertEquals(2_755_008, c.parameterCount());
    }

    @Test
    void stepFlopsFollowThePalmCount() {
        // 6 * 2,755,008 = 16,530,048 and 12 * 6 * 256 * 192 = 3,538,944 per token; 16 x 256 = 4,096 tokens.
        assertEquals(20_068_992.0, TrainingFlops.perToken(2_755_008, 6, 256, 192));
        assertEquals(82_202_591_232.0, TrainingFlops.perStep(2_755_008, 6, 256, 192, 16));
    }

    @Test
    void attentionTermGrowsWithTheSequenceAndWeightTermDoesNot() {
        double shortSeq = TrainingFlops.perToken(1000, 2, 10, 8);
        double longSeq = TrainingFlops.perToken(1000, 2, 20, 8);
        assertEquals(6_000 + 1_920, shortSeq);
        assertEquals(12.0 * 2 * 10 * 8, longSeq - shortSeq);
    }
}
