package dev.tunelab.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tunelab.LanguageModel;
import dev.tunelab.Models;
import dev.tunelab.align.PpoConfig;
import dev.tunelab.align.PpoTrainer;
import dev.tunelab.eval.SentimentJudge;
import dev.tunelab.peft.Lora;
import dev.tunelab.peft.LoraConfig;
import dev.tunelab.peft.PeftModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * PPO speed on tinystories-base (issue 6): rollout throughput (tokens generated per second by
 * batched sampling with the KV cache) and the time of one optimisation step (forward and backward
 * of a minibatch through the LoRA policy and value head, plus the AdamW update). Runs PpoTrainer
 * itself with the sentiment judge as the reward and reads the timings it logs; the first step is
 * warm-up and left out.
 *
 * <pre>
 * bench/run-ppo-bench [--steps 4] [--batch 16] [--minibatch 8] [--epochs 4] [--tokens 32] [--model DIR]
 * </pre>
 */
public final class PpoBench {
    private PpoBench() {}

    public static void main(String[] args) throws IOException {
        int steps = 4;
        int batch = 16;
        int minibatch = 8;
        int epochs = 4;
        int tokens = 32;
        Path modelDir = Path.of("datasets/models/tinystories-base");
        for (int i = 0; i < args.length; i += 2) {
            String value = i + 1 < args.length ? args[i + 1] : "";
            switch (args[i]) {
                case "--steps" -> steps = Integer.parseInt(value);
                case "--batch" -> batch = Integer.parseInt(value);
                case "--minibatch" -> minibatch = Integer.parseInt(value);
                case "--epochs" -> epochs = Integer.parseInt(value);
                case "--tokens" -> tokens = Integer.parseInt(value);
                case "--model" -> modelDir = Path.of(value);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; options: --steps N --batch N --minibatch N --epochs N --tokens N --model DIR");
            }
        }
        if (steps < 2) {
            throw new IllegalArgumentException("--steps must be at least 2 (the first is warm-up), got " + steps);
        }
        List<String> prompts = openings(Path.of("datasets/tasks/story-openings-train.jsonl"));
        SentimentJudge judge = SentimentJudge.stories();
        try (LanguageModel lm = Models.load(modelDir)) {
            PeftModel policy = Lora.apply(lm.model(), LoraConfig.builder().r(8).alpha(16).allLinear().build());
            int totalSteps = steps;
            PpoConfig cfg = new PpoConfig().batchSize(batch).miniBatchSize(minibatch).ppoEpochs(epochs)
                    .maxNewTokens(tokens).train(t -> t.steps(totalSteps).runsDir(null).progress(false));
            PpoTrainer.PpoResult result = PpoTrainer.fit(policy, lm.tokenizer(), prompts,
                    (prompt, completion) -> judge.score(completion), cfg);
            List<Map<String, Object>> timed = result.run().history().subList(1, steps);
            double tokensPerSecond = median(timed, "time/rollout_tokens_per_second");
            double stepSeconds = median(timed, "time/optimisation_step_seconds");
            double length = median(timed, "completion_length");
            System.out.printf(Locale.ROOT,
                    "model %s, %d threads (OMP_NUM_THREADS=%s); %d timed steps of %d prompts x up to %d tokens%n",
                    modelDir.getFileName(), Runtime.getRuntime().availableProcessors(), System.getenv("OMP_NUM_THREADS"),
                    timed.size(), batch, tokens);
            System.out.println("| measure | median over steps |");
            System.out.println("| --- | --- |");
            System.out.printf(Locale.ROOT, "| rollout throughput (batch %d, KV cache) | %.0f generated tokens/s |%n", batch,
                    tokensPerSecond);
            System.out.printf(Locale.ROOT, "| optimisation step (minibatch %d, forward + backward + AdamW) | %.3f s |%n",
                    minibatch, stepSeconds);
            System.out.printf(Locale.ROOT, "| mean completion length | %.1f tokens |%n", length);
            result.valueHead().close();
        }
    }

    static List<String> openings(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        return Files.readAllLines(file).stream().filter(l -> !l.isBlank()).map(l -> {
            try {
                return json.readTree(l).get("prompt").asText();
            } catch (IOException e) {
                throw new IllegalArgumentException(file + ": not a JSON line: " + l, e);
            }
        }).toList();
    }

    private static double median(List<Map<String, Object>> rows, String metric) {
        double[] v = rows.stream().mapToDouble(r -> ((Number) r.get(metric)).doubleValue()).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
