package dev.tunelab.bench;

import dev.tunelab.model.LlamaConfig;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.peft.Lora;
import dev.tunelab.peft.LoraConfig;
import dev.tunelab.peft.QuantFormat;
import dev.tunelab.peft.Quantization;
import dev.tunelab.peft.QuantizedLinear;
import dev.tunelab.train.BatchSource;
import dev.tunelab.train.TokenWindows;
import dev.tunelab.train.TrainConfig;
import dev.tunelab.train.Trainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

/**
 * Training-step speed and memory of full fine-tuning, LoRA and QLoRA on one model (issue 5's
 * benchmarks). Each arm starts from the same weights, runs warm-up steps, then times
 * {@code steps} Trainer steps on random tokens.
 *
 * <p>Run: {@code bench/run-peft-bench --steps 20 --batch 8 --seq 128 [--model DIR]}. Without
 * {@code --model} the model is random with a tinystories-base-like shape (6 layers, hidden 192).
 */
public final class PeftBenchmark {
    private PeftBenchmark() {}

    /** One arm's figures. */
    public record Result(String arm, double stepSeconds, double tokensPerSecond, long trainableParameters,
            long optimizerStateBytes, long baseWeightBytes) {
        @Override
        public String toString() {
            return String.format("| %s | %.3f s | %,.0f | %,d | %,d | %,d |", arm, stepSeconds, tokensPerSecond,
                    trainableParameters, optimizerStateBytes, baseWeightBytes);
        }
    }

    public static void main(String[] args) throws IOException {
        int steps = 20;
        int batch = 8;
        int seq = 128;
        int rank = 8;
        Path modelDir = null;
        for (int i = 0; i < args.length; i += 2) {
            String value = i + 1 < args.length ? args[i + 1] : "";
            switch (args[i]) {
                case "--steps" -> steps = Integer.parseInt(value);
                case "--batch" -> batch = Integer.parseInt(value);
                case "--seq" -> seq = Integer.parseInt(value);
                case "--rank" -> rank = Integer.parseInt(value);
                case "--model" -> modelDir = Path.of(value);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; options: --steps N --batch N --seq N --rank R --model DIR");
            }
        }
        List<Result> results = run(modelDir, steps, batch, seq, rank);
        System.out.println("| arm | step time | tokens/s | trainable params | AdamW state bytes | base linear weight bytes |");
        System.out.println("| --- | --- | --- | --- | --- | --- |");
        results.forEach(System.out::println);
        Result lora = results.get(1);
        System.out.printf("LoRA vs full: %.2fx tokens/s, optimizer state %.4f of full's (trainable ratio %.4f)%n",
                lora.tokensPerSecond() / results.get(0).tokensPerSecond(),
                (double) lora.optimizerStateBytes() / results.get(0).optimizerStateBytes(),
                (double) lora.trainableParameters() / results.get(0).trainableParameters());
        System.out.printf("QLoRA step time / LoRA step time: %.2fx%n", results.get(2).stepSeconds() / lora.stepSeconds());
    }

    public static List<Result> run(Path modelDir, int steps, int batch, int seq, int rank) throws IOException {
        LoraConfig lora = LoraConfig.builder().r(rank).alpha(2 * rank).allLinear().build();
        List<Result> out = new ArrayList<>();
        out.add(arm("full fine-tuning", modelDir, steps, batch, seq, m -> m));
        out.add(arm("LoRA r=" + rank + " all-linear", modelDir, steps, batch, seq, m -> Lora.apply(m, lora).model()));
        out.add(arm("QLoRA (NF4+DQ) r=" + rank, modelDir, steps, batch, seq,
                m -> Lora.apply(Quantization.quantize(m, QuantFormat.NF4, true), lora).model()));
        return out;
    }

    private static Result arm(String name, Path modelDir, int steps, int batch, int seq, UnaryOperator<LlamaModel> adapt)
            throws IOException {
        try (LlamaModel base = modelDir == null ? LlamaModel.create(defaultConfig(), 1) : LlamaModel.load(modelDir)) {
            LlamaModel model = adapt.apply(base);
            BatchSource data = randomTokens(model.config().vocabSize(), batch, seq);
            TrainConfig warmup = new TrainConfig().steps(2).runsDir(null).progress(false).logEvery(1000);
            Trainer.fit(model, data, null, warmup);
            long start = System.nanoTime();
            Trainer.fit(model, data, null, new TrainConfig().steps(steps).runsDir(null).progress(false).logEvery(1000));
            double seconds = (System.nanoTime() - start) / 1e9 / steps;
            long trainable = model.trainableParameterCount();
            long quantizedBytes = model.namedModules().values().stream().mapToLong(m -> m instanceof QuantizedLinear q
                    ? q.storageBytes() : 0).sum();
            long baseBytes = quantizedBytes > 0 ? quantizedBytes : Quantization.memory(model).bytes("fp32");
            return new Result(name, seconds, (double) batch * seq / seconds, trainable,
                    2L * trainable * 4, baseBytes); // AdamW keeps two fp32 moments per trainable parameter
        }
    }

    static LlamaConfig defaultConfig() {
        return LlamaConfig.builder().vocabSize(4096).hiddenSize(192).intermediateSize(512).layers(6).heads(6).kvHeads(2)
                .maxPositions(512).tieWordEmbeddings(true).build();
    }

    private static BatchSource randomTokens(int vocab, int batch, int seq) {
        SplittableRandom r = new SplittableRandom(7);
        long[] tokens = new long[200_000];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = r.nextInt(vocab);
        }
        return new TokenWindows(tokens, batch, seq, 1);
    }
}
