package dev.tunelab.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tunelab.display.ProgressBar;
import dev.tunelab.io.SafeTensors;
import dev.tunelab.io.SafeTensorsFile;
import dev.tunelab.model.Autograd;
import dev.tunelab.model.LlamaModel;
import dev.tunelab.train.Batch;
import dev.tunelab.train.SftBatches;
import dev.tunelab.train.SftSequence;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A teacher's next-token distributions for every sequence of an {@link SftBatches}, computed once
 * and stored on disk, so that distillation over several epochs runs the teacher once instead of
 * every step. Only the top k tokens of each position are kept, with their log-probabilities at
 * temperature T renormalized over those k (the "top-k" or sparse distillation that LLM
 * distillation pipelines use to keep caches small; with k = V it is the exact distribution).
 * {@link KdLosses#forwardKlTopK} reads it. Reverse KL needs the teacher's whole distribution
 * under the student's mass, so it runs with the teacher on the fly instead.
 *
 * <p>Format: one safetensors file with {@code indices} (P, k) int32, {@code logprobs} (P, k)
 * float32 and {@code offsets} (S + 1) int64 (sequence s owns positions offsets[s] ..
 * offsets[s+1], position t predicting token t + 1), and metadata {@code k}, {@code temperature}
 * and the data's {@code fingerprint}, checked on reading.
 */
public final class TeacherLogitCache {
    private final int k;
    private final double temperature;
    private final SftBatches data;
    private final int[] indices;
    private final float[] logProbs;
    private final long[] offsets;

    private TeacherLogitCache(int k, double temperature, SftBatches data, int[] indices, float[] logProbs, long[] offsets) {
        this.k = k;
        this.temperature = temperature;
        this.data = data;
        this.indices = indices;
        this.logProbs = logProbs;
        this.offsets = offsets;
    }

    /** Runs the teacher over every sequence of {@code data} (8 at a time) and writes the cache to {@code file}. */
    public static TeacherLogitCache write(LlamaModel teacher, SftBatches data, int k, double temperature, Path file) {
        int vocab = teacher.config().vocabSize();
        if (k < 1 || k > vocab) throw new IllegalArgumentException("k must be in 1.." + vocab + ", got " + k);
        List<SftSequence> sequences = data.sequences();
        long[] offsets = new long[sequences.size() + 1];
        for (int s = 0; s < sequences.size(); s++) offsets[s + 1] = offsets[s] + sequences.get(s).length() - 1;
        int positions = Math.toIntExact(offsets[sequences.size()]);
        int[] indices = new int[positions * k];
        float[] logProbs = new float[positions * k];
        boolean wasTraining = teacher.isTraining();
        teacher.train(false);
        var bar = ProgressBar.start("teacher logits (top " + k + ")", sequences.size());
        try {
            for (int from = 0; from < sequences.size(); from += 8) {
                int to = Math.min(sequences.size(), from + 8);
                int first = from;
                Autograd.noGrad(() -> {
                    try (NDManager m = teacher.manager().newSubManager()) {
                        Batch b = rightPadded(sequences.subList(first, to));
                        NDArray logits = teacher.forward(b.inputIds(m), b.attentionMask(m), null, null).toType(DataType.FLOAT32, false);
                        NDArray scaled = logits.div(Autograd.scalar(logits, temperature));
                        NDList top = scaled.topK(k, -1);   // values, then indices, each (B, T, k)
                        NDArray values = top.get(0);
                        // renormalize over the k kept tokens: log p_i - logsumexp_j log p_j
                        NDArray logp = values.sub(values.exp().sum(new int[] {-1}, true).log());
                        float[] lp = logp.toFloatArray();
                        long[] ix = top.get(1).toType(DataType.INT64, false).toLongArray();
                        int length = b.length();
                        for (int s = first; s < to; s++) {
                            int row = s - first;
                            int n = sequences.get(s).length() - 1;
                            for (int t = 0; t < n; t++) {
                                int src = (row * length + t) * k;
                                int dst = Math.toIntExact((offsets[s] + t) * k);
                                for (int j = 0; j < k; j++) {
                                    indices[dst + j] = (int) ix[src + j];
                                    logProbs[dst + j] = lp[src + j];
                                }
                            }
                        }
                    }
                });
                bar.step(to, Map.of());
            }
            bar.finish();
        } finally {
            teacher.train(wasTraining);
        }
        try (NDManager m = teacher.manager().newSubManager()) {
            Files.createDirectories(file.toAbsolutePath().getParent());
            SafeTensors.write(file, Map.of(
                    "indices", m.create(indices, new Shape(positions, k)),
                    "logprobs", m.create(logProbs, new Shape(positions, k)),
                    "offsets", m.create(offsets)),
                    Map.of("k", String.valueOf(k), "temperature", String.valueOf(temperature), "fingerprint", data.fingerprint()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
        return new TeacherLogitCache(k, temperature, data, indices, logProbs, offsets);
    }

    /** Reads a cache written for the same data (same fingerprint), else fails saying so. */
    public static TeacherLogitCache read(Path file, SftBatches data, NDManager manager) {
        try (SafeTensorsFile f = SafeTensors.open(file)) {
            Map<String, String> meta = f.metadata();
            if (!data.fingerprint().equals(meta.get("fingerprint"))) {
                throw new IllegalArgumentException(file + " was written for data " + meta.get("fingerprint")
                        + ", these batches are " + data.fingerprint());
            }
            try (NDManager m = manager.newSubManager()) {
                return new TeacherLogitCache(Integer.parseInt(meta.get("k")), Double.parseDouble(meta.get("temperature")), data,
                        f.load(m, "indices").toIntArray(), f.load(m, "logprobs").toFloatArray(), f.load(m, "offsets").toLongArray());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    public int k() {
        return k;
    }

    public double temperature() {
        return temperature;
    }

    /** The data this cache covers. */
    public SftBatches data() {
        return data;
    }

    /** Bytes the stored distributions take (indices and log-probabilities). */
    public long bytes() {
        return 8L * indices.length;
    }

    /**
     * The stored distributions for batch {@code index} of {@link #data()}: (B, T - 1, k) token ids
     * (int64) and log-probabilities, aligned with the batch's logits cut to {@code [:, :-1]};
     * padding positions hold token 0 (their weight is 0 in the loss).
     */
    public NDArray[] batch(long index, NDManager m) {
        int[] rows = data.exampleIndices(index);
        int length = 0;
        for (int r : rows) length = Math.max(length, data.sequences().get(r).length());
        int width = length - 1;
        long[] ix = new long[rows.length * width * k];
        float[] lp = new float[rows.length * width * k];
        float uniform = (float) -Math.log(k);
        for (int b = 0; b < rows.length; b++) {
            int n = data.sequences().get(rows[b]).length() - 1;
            for (int t = 0; t < width; t++) {
                int dst = (b * width + t) * k;
                if (t >= n) {
                    // padding: token 0, k times, each 1/k (finite, so 0 * log stays 0; the weight is 0 anyway)
                    Arrays.fill(lp, dst, dst + k, uniform);
                    continue;
                }
                int src = Math.toIntExact((offsets[rows[b]] + t) * k);
                for (int j = 0; j < k; j++) {
                    ix[dst + j] = indices[src + j];
                    lp[dst + j] = logProbs[src + j];
                }
            }
        }
        Shape shape = new Shape(rows.length, width, k);
        return new NDArray[] {m.create(ix, shape), m.create(lp, shape)};
    }

    private static Batch rightPadded(List<SftSequence> seqs) {
        return Batch.rightPadded(seqs.stream().map(SftSequence::ids).toList(), null, 0);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "TeacherLogitCache(%d sequences, %d positions, top %d at T=%.2f, %.1f MB)",
                offsets.length - 1, indices.length / k, k, temperature, bytes() / 1e6);
    }
}
