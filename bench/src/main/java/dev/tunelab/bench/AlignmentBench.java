package dev.tunelab.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.tunelab.align.CompletionBatch;
import dev.tunelab.align.DpoLoss;
import dev.tunelab.train.LossOutput;
import dev.tunelab.align.PreferencePair;
import dev.tunelab.align.PreferenceTrainer;
import dev.tunelab.align.ReferenceLogProbs;
import dev.tunelab.align.SequenceLogProbs;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.model.Parameter;
import dev.tunelab.peft.Lora;
import dev.tunelab.peft.LoraConfig;
import dev.tunelab.peft.PeftModel;
import dev.tunelab.train.AdamW;
import dev.tunelab.train.Gradients;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * DPO step time against SFT step time on the same batch (issue 6): B pairs of random prompt and
 * completion tokens on a LoRA policy (r 8, all linear layers). An SFT step trains on the B prompt +
 * chosen rows (the mean log-likelihood of the completion tokens); a DPO step scores the B chosen and
 * B rejected rows in one forward pass and takes the sigmoid loss against reference log-probabilities
 * computed once before (timed on their own). Both steps: forward, backward, clipping at 1.0, AdamW.
 *
 * <p>Usage: {@code bench/run-align-bench [--steps 10] [--batch 8] [--prompt 24] [--completion 48] [--model DIR]}
 */
public final class AlignmentBench {
    private AlignmentBench() {}

    public static void main(String[] args) throws Exception {
        int steps = 10;
        int batch = 8;
        int promptLength = 24;
        int completionLength = 48;
        Path modelDir = Path.of("datasets/models/tinystories-base");
        for (int i = 0; i < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--steps" -> steps = Integer.parseInt(v);
                case "--batch" -> batch = Integer.parseInt(v);
                case "--prompt" -> promptLength = Integer.parseInt(v);
                case "--completion" -> completionLength = Integer.parseInt(v);
                case "--model" -> modelDir = Path.of(v);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; options: --steps --batch --prompt --completion --model");
            }
        }
        try (LlamaModel model = LlamaModel.load(modelDir)) {
            PeftModel policy = Lora.apply(model, LoraConfig.builder().r(8).alpha(16).allLinear().seed(1).build());
            List<PreferencePair> pairs = randomPairs(model.config().vocabSize(), batch, promptLength, completionLength, 7);
            int[] rows = java.util.stream.IntStream.range(0, batch).toArray();
            long t0 = System.nanoTime();
            ReferenceLogProbs ref = ReferenceLogProbs.compute(policy, pairs, batch, false);
            double referenceSeconds = (System.nanoTime() - t0) / 1e9;
            CompletionBatch sftRows = CompletionBatch.of(pairs.stream().map(PreferencePair::prompt).toList(),
                    pairs.stream().map(PreferencePair::chosen).toList());
            DpoLoss dpo = DpoLoss.sigmoid(0.1);
            Map<String, Parameter> params = model.trainableParameters();
            try (AdamW optimizer = new AdamW(params, 0.9, 0.999, 1e-8, 0)) {
                model.train(true);
                Supplier<Double> sft = () -> step(model, params, optimizer, m -> {
                    // SFT: mean negative log-likelihood of the completion tokens
                    SequenceLogProbs lp = SequenceLogProbs.compute(model, sftRows, m);
                    return lp.perToken().sum().neg().div(lp.mask().sum());
                });
                Supplier<Double> dpoStep = () -> step(model, params, optimizer,
                        m -> PreferenceTrainer.loss(policy, dpo, pairs, ref, rows, m).loss());
                double[] sftTimes = time(sft, steps);
                double[] dpoTimes = time(dpoStep, steps);
                double sftMedian = median(sftTimes);
                double dpoMedian = median(dpoTimes);
                System.out.printf("| model | %s (%,d parameters), LoRA r=8 all-linear, %,d trainable |%n",
                        modelDir.getFileName(), model.parameterCount(), model.trainableParameterCount());
                System.out.printf("| batch | %d pairs, prompt %d + completion %d tokens |%n", batch, promptLength, completionLength);
                System.out.printf("| reference log-probs, once (2 x %d rows, no grad) | %.3f s |%n", batch, referenceSeconds);
                System.out.printf("| SFT step (%d rows), median of %d | %.3f s |%n", batch, steps, sftMedian);
                System.out.printf("| DPO step (%d rows), median of %d | %.3f s |%n", 2 * batch, steps, dpoMedian);
                System.out.printf("| DPO / SFT | %.2fx |%n", dpoMedian / sftMedian);
            }
        }
    }

    /** One optimisation step on the loss built by {@code loss}; returns its wall time in seconds. */
    static double step(LlamaModel model, Map<String, Parameter> params, AdamW optimizer,
            java.util.function.Function<NDManager, NDArray> loss) {
        long start = System.nanoTime();
        try (NDManager m = model.manager().newSubManager()) {
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(loss.apply(m));
            }
            Gradients.clipNorm(params, 1.0);
            optimizer.step(1e-4);
            optimizer.zeroGrad();
        }
        return (System.nanoTime() - start) / 1e9;
    }

    /** Step times after 2 warm-up steps. */
    static double[] time(Supplier<Double> step, int steps) {
        step.get();
        step.get();
        double[] t = new double[steps];
        for (int i = 0; i < steps; i++) {
            t[i] = step.get();
        }
        return t;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static List<PreferencePair> randomPairs(int vocab, int n, int promptLength, int completionLength, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<PreferencePair> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long[] prompt = random.longs(promptLength, 3, vocab).toArray();
            prompt[0] = 1; // BOS
            out.add(new PreferencePair(prompt, random.longs(completionLength, 3, vocab).toArray(),
                    random.longs(completionLength, 3, vocab).toArray()));
        }
        return out;
    }
}
