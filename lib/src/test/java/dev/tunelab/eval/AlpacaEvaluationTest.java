package dev.tunelab.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tunelab.data.AlpacaExample;
import dev.tunelab.data.Datasets;
import dev.tunelab.data.MirrorData;
import java.util.List;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.Table;

/** The evaluation on real instruction data from the shared mirror (skipped without it). */
class AlpacaEvaluationTest {

    @Test
    void oracleOutputsScorePerfectlyAndBeatCopyingTheInstruction() {
        List<AlpacaExample> rows = Datasets.alpaca(MirrorData.dir().resolve("instruct/alpaca_gpt4_en_sample.json"))
                .stream().limit(200).toList();
        Evaluation eval = Evaluation.fromExamples(rows, AlpacaExample::instruction, AlpacaExample::output);
        long start = System.nanoTime();
        EvaluationResult oracle = eval.score("oracle", rows.stream().map(AlpacaExample::output).toList());
        EvaluationResult copy = eval.score("copy instruction", rows.stream().map(AlpacaExample::instruction).toList());
        double seconds = (System.nanoTime() - start) / 1e9;
        for (String metric : List.of("exact_match", "token_f1", "bleu", "rouge1", "rougeL")) {
            assertEquals(100.0, oracle.metric(metric), 1e-9, metric);
        }
        // ROUGE-2 of a one-word answer is 0 even for an exact copy (no bigram; rouge-score does the same).
        Table examples = oracle.examples();
        for (int i = 0; i < examples.rowCount(); i++) {
            boolean hasBigram = Rouge.tokenize(rows.get(i).output(), true).size() >= 2;
            assertEquals(hasBigram ? 100.0 : 0.0, examples.doubleColumn("rouge2").get(i), 1e-9, "example " + i);
        }
        for (String metric : List.of("exact_match", "token_f1", "bleu", "rouge1", "rouge2", "rougeL")) {
            assertTrue(copy.metric(metric) < 50, metric + " = " + copy.metric(metric));
        }
        Table t = Evaluation.compare(copy, oracle).table();
        for (int i = 0; i < t.rowCount(); i++) {
            String metric = t.stringColumn("metric").get(i);
            if (List.of("exact_match", "token_f1", "bleu", "rouge1", "rouge2", "rougeL").contains(metric)) {
                assertEquals("oracle", t.stringColumn("better").get(i), metric);
            }
        }
        System.out.printf("scored 2 x %d Alpaca examples in %.2f s%n", rows.size(), seconds);
    }
}
