package dev.tunelab.generate;

import dev.tunelab.model.LlamaConfig;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Llama-family decoder for generation on the CPU, in plain Java with the Vector API and no
 * gradients: the same computation as {@code LlamaModel.forward} (RMSNorm, RoPE in the rotate-half
 * layout, grouped-query attention, SwiGLU), on weights read once into float arrays
 * ({@link DecoderWeights}), with a KV cache allocated once for every row and filled in place.
 *
 * <p>Each row is its own sequence: it holds only its real tokens (no padding), and a step feeds
 * each row zero or more new tokens. All tokens of a step go through the matrix products together,
 * so a batch of rows, or a prompt, costs one pass over the weights per layer. Every number is
 * computed the same way whichever rows share the step and however many threads run: a row's
 * logits are bit-identical alone or in a batch.
 */
final class JavaDecoder {
    private static final VectorSpecies<Float> SPECIES = PackedMatrix.SPECIES;
    private static final int LANES = SPECIES.length();
    /** Below this many activations, SwiGLU runs on the calling thread. */
    private static final long PARALLEL_ELEMENTWISE = 1 << 14;
    /** Below this many multiply-adds, attention runs on the calling thread. */
    private static final long PARALLEL_ATTENTION = 1 << 18;

    private final DecoderWeights w;
    private final Workers workers;
    private final int rows;
    private final int capacity; // positions per row, virtual ones included
    private final int hidden;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int qkvWidth; // (heads + 2 kv_heads) * head_dim
    private final int intermediate;
    private final int vocab;
    private final float eps;
    private final float scale; // 1 / sqrt(head_dim)
    private final int positionStride; // capacity rounded up to four whole vectors
    private final int valueStride; // head_dim rounded up to whole vectors
    private final float[] cos; // (capacity, head_dim / 2)
    private final float[] sin; // (capacity, head_dim / 2)
    private final float[][][] keys; // [row][layer] (kv_heads, head_dim, positionStride): positions last, so scores vectorise over them
    private final float[][][] values; // [row][layer] (kv_heads, positionStride, valueStride)
    private final int[] length; // positions cached per row, virtual ones included

    // Per-step buffers, (items, width) row-major, grown when a step has more tokens than before.
    private int items;
    private float[] x; // (items, hidden) the residual stream
    private float[] normed; // (items, hidden)
    private float[] qkv; // (items, qkv_width)
    private float[] attention; // (items, heads * head_dim)
    private float[] gateUp; // (items, 2 * intermediate)
    private float[] swiglu; // (items, intermediate)
    private float[] projected; // (items, hidden)
    private int[] itemRow = new int[0]; // (items) the row each token of the step belongs to
    private int[] itemPosition = new int[0]; // (items) its position in that row
    private final int[] lastItem; // (rows) each row's last token in the step, or -1
    private float[] last = new float[0]; // (fed rows, hidden) final-normed last tokens
    private float[] allLogits = new float[0]; // (fed rows, vocab)
    private final float[][] rowLogits; // (rows, vocab), handed out by feed

    JavaDecoder(DecoderWeights weights, int rows, int capacity, Workers workers) {
        LlamaConfig c = weights.config;
        this.w = weights;
        this.workers = workers;
        this.rows = rows;
        this.capacity = capacity;
        this.hidden = c.hiddenSize();
        this.heads = c.numAttentionHeads();
        this.kvHeads = c.numKeyValueHeads();
        this.headDim = c.headDim();
        this.qkvWidth = (heads + 2 * kvHeads) * headDim;
        this.intermediate = c.intermediateSize();
        this.vocab = c.vocabSize();
        this.eps = (float) c.rmsNormEps();
        this.scale = (float) (1 / Math.sqrt(headDim)); // as Attention: Autograd.scalar(q, 1 / Math.sqrt(headDim))
        this.positionStride = roundUp(capacity, LANES);
        this.valueStride = roundUp(headDim, LANES);
        if (capacity > c.maxPositionEmbeddings()) {
            throw new IllegalArgumentException(capacity + " positions exceed max_position_embeddings " + c.maxPositionEmbeddings());
        }

        // The model's own rotary table (Rotary): float cos/sin of position * inverse frequency.
        double[] inv = weights.inverseFrequencies();
        int half = headDim / 2;
        cos = new float[capacity * half];
        sin = new float[capacity * half];
        for (int p = 0; p < capacity; p++) {
            for (int i = 0; i < half; i++) {
                double angle = p * inv[i];
                cos[p * half + i] = (float) Math.cos(angle);
                sin[p * half + i] = (float) Math.sin(angle);
            }
        }

        int layers = weights.layers.length;
        keys = new float[rows][layers][];
        values = new float[rows][layers][];
        for (int b = 0; b < rows; b++) {
            for (int l = 0; l < layers; l++) {
                keys[b][l] = new float[kvHeads * headDim * positionStride];
                values[b][l] = new float[kvHeads * positionStride * valueStride];
            }
        }
        length = new int[rows];
        lastItem = new int[rows];
        rowLogits = new float[rows][vocab];
        fillVirtualPositions();
    }

    /** Forgets every row's tokens; virtual positions (prompt or prefix tuning) stay. */
    void reset() {
        Arrays.fill(length, w.virtualTokens);
    }

    /**
     * Feeds {@code tokens[b]} to row b (null or empty: the row waits) and returns, for every row
     * fed, the logits (vocab) after its last new token; null for the others. The arrays are the
     * decoder's own, overwritten by the next call (nothing is allocated per token).
     */
    float[][] feed(int[][] tokens) {
        int n = 0;
        for (int b = 0; b < rows; b++) {
            int t = tokens[b] == null ? 0 : tokens[b].length;
            if (length[b] + t > capacity) {
                throw new IllegalStateException("row " + b + ": " + length[b] + " + " + t + " positions exceed the capacity " + capacity);
            }
            n += t;
        }
        ensureItems(n);
        int k = 0;
        for (int b = 0; b < rows; b++) {
            lastItem[b] = -1;
            if (tokens[b] == null) {
                continue;
            }
            for (int token : tokens[b]) {
                if (token < 0 || token >= vocab) {
                    throw new IllegalArgumentException("token id " + token + " outside the vocabulary of " + vocab);
                }
                System.arraycopy(w.embedding, token * hidden, x, k * hidden, hidden);
                itemRow[k] = b;
                itemPosition[k] = length[b]++;
                lastItem[b] = k++;
            }
        }
        decoderLayers(n, itemRow, itemPosition);
        return logits();
    }

    /** The final norm and LM head on the last token of each fed row. */
    private float[][] logits() {
        int fed = 0;
        for (int item : lastItem) {
            fed += item >= 0 ? 1 : 0;
        }
        if (last.length < fed * hidden) {
            last = new float[fed * hidden];
            allLogits = new float[fed * vocab];
        }
        int r = 0;
        for (int item : lastItem) {
            if (item >= 0) {
                rmsNorm(x, item * hidden, w.finalNorm, last, r++ * hidden);
            }
        }
        w.lmHead.multiply(last, fed, allLogits, workers);
        float[][] out = new float[rows][];
        r = 0;
        for (int b = 0; b < rows; b++) {
            if (lastItem[b] >= 0) {
                System.arraycopy(allLogits, r++ * vocab, rowLogits[b], 0, vocab);
                out[b] = rowLogits[b];
            }
        }
        return out;
    }

    /** Every layer over the step's n tokens (in x); their keys and values go into the cache. */
    private void decoderLayers(int n, int[] itemRow, int[] itemPosition) {
        for (int l = 0; l < w.layers.length; l++) {
            DecoderWeights.Layer layer = w.layers[l];
            for (int k = 0; k < n; k++) {
                rmsNorm(x, k * hidden, layer.inputNorm(), normed, k * hidden);
            }
            layer.qkv().multiply(normed, n, qkv, workers);
            for (int k = 0; k < n; k++) {
                int at = k * qkvWidth;
                rotate(qkv, at, heads, itemPosition[k]);
                rotate(qkv, at + heads * headDim, kvHeads, itemPosition[k]);
                store(l, itemRow[k], itemPosition[k], at + heads * headDim, at + (heads + kvHeads) * headDim);
            }
            attend(l, n, itemRow, itemPosition);
            layer.o().multiply(attention, n, projected, workers);
            add(projected, x, n * hidden);

            for (int k = 0; k < n; k++) {
                rmsNorm(x, k * hidden, layer.postAttentionNorm(), normed, k * hidden);
            }
            layer.gateUp().multiply(normed, n, gateUp, workers);
            workers.forRange(n, (long) n * intermediate >= PARALLEL_ELEMENTWISE, (from, to) -> {
                for (int k = from; k < to; k++) {
                    activate(k);
                }
            });
            layer.down().multiply(swiglu, n, projected, workers);
            add(projected, x, n * hidden);
        }
    }

    /** Mlp's activation for token k: silu(gate) * up = gate * sigmoid(gate) * up (Shazeer 2020), a vector at a time. */
    private void activate(int k) {
        int g = k * 2 * intermediate;
        int out = k * intermediate;
        int j = 0;
        for (; j + LANES <= intermediate; j += LANES) {
            swiglu(FloatVector.fromArray(SPECIES, gateUp, g + j), FloatVector.fromArray(SPECIES, gateUp, g + intermediate + j))
                    .intoArray(swiglu, out + j);
        }
        if (j < intermediate) { // the last vector sticks out: masked, same lanes
            VectorMask<Float> lanes = SPECIES.indexInRange(j, intermediate);
            swiglu(FloatVector.fromArray(SPECIES, gateUp, g + j, lanes), FloatVector.fromArray(SPECIES, gateUp, g + intermediate + j, lanes))
                    .intoArray(swiglu, out + j, lanes);
        }
    }

    private static FloatVector swiglu(FloatVector gate, FloatVector up) {
        FloatVector one = FloatVector.broadcast(SPECIES, 1f);
        FloatVector sigmoid = one.div(one.add(VectorExp.exp(gate.neg())));
        return gate.mul(sigmoid).mul(up);
    }

    /** RMSNorm (Zhang and Sennrich 2019) as the model's: x / sqrt(mean(x^2) + eps) * weight, in float. */
    private void rmsNorm(float[] in, int at, float[] weight, float[] out, int outAt) {
        double sumSquares = 0;
        for (int i = 0; i < hidden; i++) {
            float v = in[at + i];
            sumSquares += v * v;
        }
        float rms = (float) Math.sqrt((float) (sumSquares / hidden) + eps);
        for (int i = 0; i < hidden; i++) {
            out[outAt + i] = in[at + i] / rms * weight[i];
        }
    }

    /** RoPE (Su et al. 2021), rotate-half layout as Rotary.apply: [x1 c - x2 s, x2 c + x1 s] per head. */
    private void rotate(float[] v, int at, int count, int position) {
        int half = headDim / 2;
        int table = position * half;
        for (int h = 0; h < count; h++) {
            int base = at + h * headDim;
            for (int i = 0; i < half; i++) {
                float x1 = v[base + i];
                float x2 = v[base + half + i];
                float c = cos[table + i];
                float s = sin[table + i];
                v[base + i] = x1 * c - x2 * s;
                v[base + half + i] = x2 * c + x1 * s;
            }
        }
    }

    /** Writes one token's keys and values (each kv_heads * head_dim in qkv) into its row's cache. */
    private void store(int layer, int row, int position, int keyAt, int valueAt) {
        float[] k = keys[row][layer];
        float[] v = values[row][layer];
        for (int g = 0; g < kvHeads; g++) {
            for (int d = 0; d < headDim; d++) {
                k[(g * headDim + d) * positionStride + position] = qkv[keyAt + g * headDim + d];
            }
            System.arraycopy(qkv, valueAt + g * headDim, v, (g * positionStride + position) * valueStride, headDim);
        }
    }

    /** Causal attention of every (token, head) over its row's cached positions up to its own. */
    private void attend(int layer, int n, int[] itemRow, int[] itemPosition) {
        long work = 0;
        for (int k = 0; k < n; k++) {
            work += (long) (itemPosition[k] + 1) * headDim * heads * 2;
        }
        workers.forRange(n * heads, work >= PARALLEL_ATTENTION, (from, to) -> {
            float[] scores = new float[positionStride];
            float[] mixed = new float[valueStride];
            for (int task = from; task < to; task++) {
                int k = task / heads;
                int h = task % heads;
                attendOne(layer, itemRow[k], itemPosition[k], qkv, k * qkvWidth + h * headDim, h,
                        scores, mixed, k * heads * headDim + h * headDim);
            }
        });
    }

    /** softmax(q K^T * scale) V for one query head, as Attention computes it (scores scaled, then softmax). */
    private void attendOne(int layer, int row, int position, float[] q, int qAt, int head, float[] scores,
            float[] mixed, int outAt) {
        int g = head / (heads / kvHeads); // the KV head this query head shares (GQA)
        int seen = position + 1;
        score(keys[row][layer], g * headDim * positionStride, seen, q, qAt, scores);
        softmax(scores, seen);
        mix(values[row][layer], g * positionStride * valueStride, seen, scores, mixed);
        System.arraycopy(mixed, 0, attention, outAt, headDim);
    }

    /** scores[s] = sum_d q[d] k[d][s] for s < seen: a chain of fused multiply-adds over d per position. */
    private void score(float[] k, int kBase, int seen, float[] q, int qAt, float[] scores) {
        int s = 0;
        for (; s + 4 * LANES <= seen; s += 4 * LANES) { // four vectors of positions: independent chains
            PackedMatrix.fourVectorChains(k, kBase + s, positionStride, q, qAt, headDim, scores, s);
        }
        for (; s < seen; s += LANES) {
            FloatVector acc = FloatVector.zero(SPECIES);
            for (int d = 0, at = kBase + s; d < headDim; d++, at += positionStride) {
                acc = FloatVector.fromArray(SPECIES, k, at).fma(FloatVector.broadcast(SPECIES, q[qAt + d]), acc);
            }
            acc.intoArray(scores, s);
        }
    }

    /** softmax(scores * scale) over s < seen; the positions past `seen` in the last vector are computed and ignored. */
    private void softmax(float[] scores, int seen) {
        float max = Float.NEGATIVE_INFINITY;
        for (int s = 0; s < seen; s += LANES) {
            FloatVector.fromArray(SPECIES, scores, s).mul(scale).intoArray(scores, s);
        }
        for (int s = 0; s < seen; s++) {
            max = Math.max(max, scores[s]);
        }
        for (int s = 0; s < seen; s += LANES) {
            VectorExp.exp(FloatVector.fromArray(SPECIES, scores, s).sub(max)).intoArray(scores, s);
        }
        float sum = 0;
        for (int s = 0; s < seen; s++) {
            sum += scores[s];
        }
        for (int s = 0; s < seen; s += LANES) {
            FloatVector.fromArray(SPECIES, scores, s).div(sum).intoArray(scores, s);
        }
    }

    /** mixed = sum_s p[s] v[s] for s < seen, vectorised over head_dim, two vectors of it at a time. */
    private void mix(float[] v, int vBase, int seen, float[] p, float[] mixed) {
        int d = 0;
        for (; d + 2 * LANES <= valueStride; d += 2 * LANES) {
            FloatVector acc0 = FloatVector.zero(SPECIES);
            FloatVector acc1 = FloatVector.zero(SPECIES);
            for (int s = 0, at = vBase + d; s < seen; s++, at += valueStride) {
                FloatVector weight = FloatVector.broadcast(SPECIES, p[s]);
                acc0 = FloatVector.fromArray(SPECIES, v, at).fma(weight, acc0);
                acc1 = FloatVector.fromArray(SPECIES, v, at + LANES).fma(weight, acc1);
            }
            acc0.intoArray(mixed, d);
            acc1.intoArray(mixed, d + LANES);
        }
        for (; d < valueStride; d += LANES) {
            FloatVector acc = FloatVector.zero(SPECIES);
            for (int s = 0, at = vBase + d; s < seen; s++, at += valueStride) {
                acc = FloatVector.fromArray(SPECIES, v, at).fma(FloatVector.broadcast(SPECIES, p[s]), acc);
            }
            acc.intoArray(mixed, d);
        }
    }

    /** Prompt tuning's virtual tokens run through the model once (row 0), prefix tuning's keys and values copied in. */
    private void fillVirtualPositions() {
        int p = w.virtualTokens;
        if (w.promptEmbeddings != null && rows > 0) {
            ensureItems(p);
            System.arraycopy(w.promptEmbeddings, 0, x, 0, p * hidden);
            int[] rowZero = new int[p];
            int[] positions = new int[p];
            for (int i = 0; i < p; i++) {
                positions[i] = i;
            }
            decoderLayers(p, rowZero, positions);
            for (int b = 1; b < rows; b++) {
                for (int l = 0; l < w.layers.length; l++) {
                    for (int g = 0; g < kvHeads * headDim; g++) {
                        System.arraycopy(keys[0][l], g * positionStride, keys[b][l], g * positionStride, p);
                    }
                    for (int g = 0; g < kvHeads; g++) {
                        int at = g * positionStride * valueStride;
                        System.arraycopy(values[0][l], at, values[b][l], at, p * valueStride);
                    }
                }
            }
        } else if (w.prefixKeys != null) {
            for (int b = 0; b < rows; b++) {
                for (int l = 0; l < w.layers.length; l++) {
                    for (int g = 0; g < kvHeads; g++) {
                        for (int i = 0; i < p; i++) {
                            int from = (g * p + i) * headDim; // (kv_heads, P, head_dim)
                            for (int d = 0; d < headDim; d++) {
                                keys[b][l][(g * headDim + d) * positionStride + i] = w.prefixKeys[l][from + d];
                            }
                            System.arraycopy(w.prefixValues[l], from, values[b][l], (g * positionStride + i) * valueStride, headDim);
                        }
                    }
                }
            }
        }
        reset();
    }

    private void ensureItems(int n) {
        if (n <= items) {
            return;
        }
        items = Math.max(n, 2 * items);
        itemRow = new int[items];
        itemPosition = new int[items];
        x = new float[items * hidden];
        normed = new float[items * hidden];
        qkv = new float[items * qkvWidth];
        attention = new float[items * heads * headDim];
        gateUp = new float[items * 2 * intermediate];
        swiglu = new float[items * intermediate];
        projected = new float[items * hidden];
    }

    private static void add(float[] from, float[] to, int count) {
        for (int i = 0; i < count; i++) {
            to[i] += from[i];
        }
    }

    private static int roundUp(int n, int multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }
}
