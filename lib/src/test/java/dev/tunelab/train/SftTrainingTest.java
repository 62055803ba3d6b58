package dev.tunelab.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.generate.Generation;
import dev.tunelab.generate.GenerationConfig;
import dev.tunelab.generate.Generator;
import dev.tunelab.io.Tokenizer;
import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end: a tiny random model learns "repeat the word" from instruction examples, and then
 * answers prompts for words it never saw.
 */
class SftTrainingTest {
    // The task is learned by about step 80; 120 leaves room.
    static final int STEPS = 120;
    // "repeat cab:" -> " cab" + EOS; words are 3 letters from a-f.
    static final PromptTemplate<String> REPEAT = PromptTemplate.of("repeat", w -> "repeat " + w + ":", w -> " " + w);

    static List<String> words() {
        List<String> w = new ArrayList<>();
        String letters = "abcdef";
        for (char a : letters.toCharArray()) {
            for (char b : letters.toCharArray()) {
                for (char c : letters.toCharArray()) {
                    w.add("" + a + b + c);
                }
            }
        }
        Collections.shuffle(w, new Random(4));
        return w;
    }

    @Test
    void learnsToRepeatAndAnswersHeldOutPrompts(@TempDir Path tmp) {
        List<String> all = words();
        List<String> heldOut = all.subList(0, 6);
        List<String> train = all.subList(6, all.size());
        LlamaConfig config = LlamaConfig.builder().vocabSize(SftTestTokenizer.VOCAB).hiddenSize(64).intermediateSize(128)
                .layers(2).heads(4).kvHeads(2).maxPositions(32).tieWordEmbeddings(false).build();
        try (Tokenizer tok = SftTestTokenizer.create(tmp.resolve("tok")); LlamaModel model = LlamaModel.create(config, 1)) {
            SftBatches trainBatches = SftBatches.builder(tok, REPEAT, train).batchSize(16).maxLength(32).seed(2).build();
            SftBatches evalBatches = SftBatches.builder(tok, REPEAT, heldOut).batchSize(6).shuffle(false).build();
            double before = Trainer.evaluate(model, evalBatches, 1);

            TrainResult result = Trainer.fit(model, trainBatches, evalBatches, new TrainConfig().steps(STEPS).learningRate(3e-3)
                    .warmup(10).logEvery(10).evalEvery(STEPS).evalBatches(1).runsDir(tmp.resolve("runs")).progress(false).seed(3));

            // 4 trained tokens (space, 3 letters) + EOS per answer; a random model is near ln(261) = 5.6.
            assertTrue(before > 4.5, "initial answer loss " + before);
            assertTrue(result.finalEvalLoss() < 0.1 * before, "held-out answer loss " + result.finalEvalLoss() + " from " + before);

            SftEncoder<String> encoder = new SftEncoder<>(tok, REPEAT, 32, false);
            Generator generator = new Generator(model, tok.eosId().getAsLong(), tok.padId().getAsLong(), tok::decode);
            List<long[]> prompts = heldOut.stream().map(encoder::promptIds).toList();
            List<Generation> answers = generator.generate(prompts, GenerationConfig.greedy().maxNewTokens(8));
            for (int i = 0; i < heldOut.size(); i++) {
                assertEquals(" " + heldOut.get(i), answers.get(i).text(), "answer to held-out prompt " + heldOut.get(i));
                assertEquals("eos", answers.get(i).finishReason());
            }
        }
    }
}
