package dev.tunelab.align;

import dev.tunelab.eval.RewardFunction;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tunelab.io.AtomicFiles;
import dev.tunelab.io.Tokenizer;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.peft.PeftModel;
import dev.tunelab.train.LossOutput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A reward model: the language model (with LoRA adapters) and a {@link ScalarHead} read at the last
 * real token of prompt + completion, as transformers' LlamaForSequenceClassification scores a
 * sequence. Trained by {@link RewardTrainer} on preference pairs with the Bradley-Terry loss
 * -log sigmoid(r_chosen - r_rejected) (Ouyang et al. 2022; TRL's RewardTrainer). Scores can be normalised to mean 0 and standard
 * deviation 1 over a reference set of completions, as Ziegler et al. 2019 (section 2.2) do before RL.
 *
 * <p>Texts are tokenized as {@link #encode} does: the prompt with BOS, the completion without
 * special tokens, so a completion scored from its text gets the same ids it was trained on.
 */
public final class RewardModel implements RewardFunction {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HEAD_FILE = "score_head.safetensors";
    private static final String NORMALISATION_FILE = "reward_normalisation.json";

    private final PeftModel peft;
    private final ScalarHead head;
    private final Tokenizer tokenizer;
    private double mean = 0;
    private double std = 1;

    /**
     * @param peft LoRA adapters on a copy of the base model (the reward model's own; not the policy)
     * @param seed for the score head's initial weights
     */
    public RewardModel(PeftModel peft, Tokenizer tokenizer, long seed) {
        this(peft, ScalarHead.create(peft.model(), seed), tokenizer);
    }

    private RewardModel(PeftModel peft, ScalarHead head, Tokenizer tokenizer) {
        this.peft = peft;
        this.head = head;
        this.tokenizer = tokenizer;
    }

    public PeftModel peft() {
        return peft;
    }

    public ScalarHead head() {
        return head;
    }

    /** Raw scores (B) of a batch: differentiable with respect to the adapters and the head. */
    public NDArray rewards(CompletionBatch batch, NDManager m) {
        NDArray hidden = peft.model().hidden(batch.inputIds(m), batch.attentionMask(m), null, null);
        return head.at(hidden, batch.lastTokenPositions(m));
    }

    /** Prompt ids (with BOS) and completion ids (no special tokens): the layout scores are read from. */
    public long[][] encode(String prompt, String completion) {
        return new long[][] {tokenizer.encode(prompt), tokenizer.encode(completion, false)};
    }

    /** A pair from texts, tokenized as {@link #encode} (for training on text preferences). */
    public PreferencePair pair(String prompt, String chosen, String rejected) {
        return new PreferencePair(tokenizer.encode(prompt), tokenizer.encode(chosen, false), tokenizer.encode(rejected, false));
    }

    @Override
    public double score(String prompt, String completion) {
        return scores(List.of(prompt), List.of(completion))[0];
    }

    /** Normalised scores of completions given prompts, in batches of 16, without gradient. */
    @Override
    public double[] scores(List<String> prompts, List<String> completions) {
        List<long[]> p = new ArrayList<>();
        List<long[]> c = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            long[][] ids = encode(prompts.get(i), completions.get(i));
            p.add(ids[0]);
            c.add(ids[1]);
        }
        double[] raw = rawScores(p, c);
        for (int i = 0; i < raw.length; i++) {
            raw[i] = (raw[i] - mean) / std;
        }
        return raw;
    }

    /** Unnormalised scores of token-id completions, without gradient or dropout. */
    public double[] rawScores(List<long[]> prompts, List<long[]> completions) {
        LlamaModel model = peft.model();
        boolean wasTraining = model.isTraining();
        model.train(false);
        try {
            double[] out = new double[prompts.size()];
            for (int from = 0; from < out.length; from += 16) {
                int to = Math.min(from + 16, out.length);
                CompletionBatch batch = CompletionBatch.of(prompts.subList(from, to), completions.subList(from, to));
                float[] r = Autograd.noGrad(() -> {
                    try (NDManager m = model.manager().newSubManager()) {
                        return LogSpace.values(rewards(batch, m));
                    }
                });
                for (int i = 0; i < r.length; i++) {
                    out[from + i] = r[i];
                }
            }
            return out;
        } finally {
            model.train(wasTraining);
        }
    }

    /** Sets the normalisation so that the reference completions score mean 0 and standard deviation 1. */
    public RewardModel normalise(List<String> prompts, List<String> completions) {
        mean = 0;
        std = 1;
        double[] r = scores(prompts, completions);
        double m = Arrays.stream(r).average().orElse(0);
        double var = Arrays.stream(r).map(x -> (x - m) * (x - m)).average().orElse(1);
        mean = m;
        std = Math.sqrt(var) > 1e-8 ? Math.sqrt(var) : 1;
        return this;
    }

    public double mean() {
        return mean;
    }

    public double std() {
        return std;
    }

    /** Fraction of pairs whose chosen completion scores above the rejected one. */
    public double accuracy(List<PreferencePair> pairs) {
        double[][] r = pairScores(pairs);
        int correct = 0;
        for (int i = 0; i < pairs.size(); i++) {
            correct += r[0][i] > r[1][i] ? 1 : 0;
        }
        return (double) correct / pairs.size();
    }

    /** Raw scores of the chosen ({@code [0]}) and rejected ({@code [1]}) completions of each pair. */
    public double[][] pairScores(List<PreferencePair> pairs) {
        List<long[]> prompts = pairs.stream().map(PreferencePair::prompt).toList();
        return new double[][] {rawScores(prompts, pairs.stream().map(PreferencePair::chosen).toList()),
                rawScores(prompts, pairs.stream().map(PreferencePair::rejected).toList())};
    }

    /** Bradley-Terry loss -log sigmoid(r_chosen - r_rejected), mean over the pairs at {@code rows}; and the batch accuracy. */
    public LossOutput loss(List<PreferencePair> pairs, int[] rows, NDManager m) {
        NDArray r = rewards(PreferencePair.chosenThenRejected(pairs, rows), m);
        int b = rows.length;
        NDArray margin = r.get("0:" + b).sub(r.get(b + ":"));
        float[] margins = LogSpace.values(margin);
        double correct = 0;
        for (float v : margins) {
            correct += v > 0 ? 1 : 0;
        }
        return new LossOutput(LogSpace.logSigmoid(margin).mean().neg(),
                Map.of("accuracy", correct / b, "margin", LogSpace.mean(margins)));
    }

    /** Writes the adapter (PEFT's files), the score head and the normalisation into {@code dir}. */
    public void save(Path dir) throws IOException {
        peft.save(dir);
        head.save(dir.resolve(HEAD_FILE));
        AtomicFiles.writeString(dir.resolve(NORMALISATION_FILE), JSON.writeValueAsString(Map.of("mean", mean, "std", std)));
    }

    /** A reward model saved by {@link #save}, on a fresh copy of its base model. */
    public static RewardModel load(LlamaModel base, Tokenizer tokenizer, Path dir) throws IOException {
        PeftModel peft = PeftModel.load(base, dir);
        RewardModel rm = new RewardModel(peft, ScalarHead.load(base, dir.resolve(HEAD_FILE)), tokenizer);
        Path norm = dir.resolve(NORMALISATION_FILE);
        if (!Files.exists(norm)) {
            throw new IOException(dir + ": no " + NORMALISATION_FILE + " (was it saved by RewardModel.save?)");
        }
        var tree = JSON.readTree(norm.toFile());
        if (!tree.has("mean") || !tree.has("std")) {
            throw new IOException(norm + ": expected fields \"mean\" and \"std\", found " + tree);
        }
        rm.mean = tree.get("mean").asDouble();
        rm.std = tree.get("std").asDouble();
        return rm;
    }
}
