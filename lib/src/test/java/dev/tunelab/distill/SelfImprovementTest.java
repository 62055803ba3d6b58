package dev.tunelab.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.LanguageModel;
import dev.tunelab.generate.GenerationConfig;
import dev.tunelab.io.BpeTrainer;
import dev.tunelab.io.Tokenizer;
import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.train.PromptTemplate;
import dev.tunelab.train.SftBatches;
import dev.tunelab.train.SftExample;
import dev.tunelab.train.TrainConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generate / check / fine-tune rounds on a tiny random model: what each round records, and that training changes the model. */
class SelfImprovementTest {
    record Task(String prompt, List<Check> checks, String group) implements TeacherTask {}

    @TempDir
    Path tmp;

    @Test
    void eachRoundSamplesKeepsWhatPassesTrainsOnItAndMeasures() throws Exception {
        BpeTrainer.builder().vocabSize(300).minFrequency(1).build()
                .train(List.of("Once upon a time, there was a girl named Lily.", "Tim found a ball in the park.")).save(tmp);
        Tokenizer tok = Tokenizer.load(tmp);
        LlamaConfig c = LlamaConfig.builder().vocabSize(tok.vocabSize()).hiddenSize(32).intermediateSize(48).layers(2)
                .heads(4).kvHeads(2).maxPositions(128).attentionDropout(0).build();
        try (LanguageModel lm = new LanguageModel(LlamaModel.create(c, 3), tok)) {
            // keep completions of an even number of characters: with random text some pass, some do not
            Check evenLength = new Check("even length", "", x -> x.completion().length() % 2 == 0);
            var tasks = List.of(new Task("Lily", List.of(evenLength), "a"), new Task("Tim", List.of(evenLength), "a"));
            PromptTemplate<SftExample> template = PromptTemplate.of("t", e -> e.instruction(), SftExample::output);
            List<Integer> trainedOn = new ArrayList<>();
            List<Double> measured = new ArrayList<>();
            var result = SelfImprovement.builder(lm, tasks, set -> {
                        List<SftExample> rows = set.kept().stream()
                                .map(o -> SftExample.of(o.candidate().prompt(), o.candidate().completion())).toList();
                        trainedOn.add(rows.size());
                        return SftBatches.builder(tok, template, rows).batchSize(2).maxLength(64).build();
                    })
                    .rounds(2).samplesPerTask(3)
                    .sampling(TeacherConfig.defaults().requireEos(false).addBos(false)
                            .sampling(GenerationConfig.sample(1.0).maxNewTokens(6)).seed(4))
                    .train(new TrainConfig().steps(2).learningRate(1e-2).runsDir(null).progress(false).runName("self"))
                    .metric(m -> {
                        // the metric sees the model as it is after each round: its logits change with training
                        double v = m.model().trainableParameters().values().iterator().next().data().sum().getFloat();
                        measured.add(v);
                        return v;
                    })
                    .build().run();
            assertEquals(3, result.rounds().size());
            assertEquals(0, result.rounds().get(0).samples());
            assertNull(result.rounds().get(0).training());
            for (int r = 1; r <= 2; r++) {
                var round = result.rounds().get(r);
                assertEquals(6, round.samples());
                assertEquals(trainedOn.get(r - 1), round.kept());
                assertTrue(round.kept() > 0 && round.kept() < 6, "some but not all samples pass: " + round.kept());
                assertEquals(2, round.training().endStep());
            }
            assertEquals(measured, result.rounds().stream().map(SelfImprovement.Round::metric).toList());
            assertNotEquals(measured.get(0), measured.get(1), "round 1 fine-tuned the model");
            assertEquals(3, result.table().rowCount());
        }
    }
}
