package dev.tunelab.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tunelab.io.Tokenizer;
import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SFT loss is the mean NLL over answer tokens only, checked against a hand computation. */
class SftLossTest {

    @Test
    void lossIsTheMeanNllOfTheAnswerTokens(@TempDir Path tmp) {
        LlamaConfig config = LlamaConfig.builder().vocabSize(SftTestTokenizer.VOCAB).hiddenSize(32).intermediateSize(64)
                .layers(2).heads(4).kvHeads(2).maxPositions(128).tieWordEmbeddings(false).build();
        List<SftExample> data = List.of(SftExample.of("Echo: abc", "abc"), SftExample.of("Up: q", "Q!"),
                new SftExample("Join", "x y", "xy"));
        PromptTemplate<SftExample> template = PromptTemplate.of(e -> e.instruction() + " " + e.input() + "\n", SftExample::output);
        try (Tokenizer tok = SftTestTokenizer.create(tmp.resolve("tok"));
                LlamaModel model = LlamaModel.create(config, 3);
                NDManager m = model.manager().newSubManager()) {
            SftBatches batches = SftBatches.builder(tok, template, data).batchSize(3).shuffle(false).build();
            Batch batch = batches.batch(0);
            NDArray logits = model.forward(batch.inputIds(m), batch.attentionMask(m), null, null);
            float loss = Losses.causalLm(logits, batch.labels(m)).getFloat();

            // By hand: for each example, the answer bytes and EOS sit right after "<s>" + prompt bytes;
            // the logits one position earlier predict each of them.
            float[] flat = logits.toFloatArray();
            int length = batch.length();
            int vocab = config.vocabSize();
            double sum = 0;
            int count = 0;
            for (int b = 0; b < data.size(); b++) {
                SftExample e = data.get(b);
                int answerStart = 1 + SftTestTokenizer.bytes(e.instruction() + " " + e.input() + "\n").length;
                long[] answer = SftEncoderTest.concat(SftTestTokenizer.bytes(e.output()), new long[] {2});
                for (int k = 0; k < answer.length; k++) {
                    int t = answerStart + k - 1; // position whose logits predict answer token k
                    int base = (b * length + t) * vocab;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int v = 0; v < vocab; v++) {
                        max = Math.max(max, flat[base + v]);
                    }
                    double z = 0;
                    for (int v = 0; v < vocab; v++) {
                        z += Math.exp(flat[base + v] - max);
                    }
                    sum += max + Math.log(z) - flat[base + (int) answer[k]];
                    count++;
                }
            }
            assertEquals(count, batch.lossTokens());
            assertEquals(sum / count, loss, 1e-5 * Math.abs(sum / count));

            // The same examples one per batch (no padding) give the same token-weighted mean:
            // padding and prompts add nothing.
            double separate = 0;
            for (int b = 0; b < data.size(); b++) {
                Batch single = new SftBatches(List.of(batches.sequences().get(b)), 0, 1, 0, false, 0, "one").batch(0);
                NDArray l = model.forward(single.inputIds(m), single.attentionMask(m), null, null);
                separate += Losses.causalLm(l, single.labels(m)).getFloat() * single.lossTokens();
            }
            assertEquals(sum / count, separate / count, 1e-4 * Math.abs(sum / count));

            // And it is not the loss over all tokens.
            float everything = Losses.causalLm(logits, batch.inputIds(m)).getFloat();
            assertTrue(Math.abs(everything - loss) > 1e-3, "masking must change the loss");
        }
    }
}
