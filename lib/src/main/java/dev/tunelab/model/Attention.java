package dev.tunelab.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.norm.Dropout;

/** Multi-head causal self-attention with grouped-query attention (several query heads share a KV head). */
public final class Attention extends Module {
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int layerIndex;
    private final float dropout;

    Attention(Linear qProj, Linear kProj, Linear vProj, Linear oProj, LlamaConfig c, int layerIndex) {
        addChild("q_proj", qProj); // (heads * head_dim, hidden)
        addChild("k_proj", kProj); // (kv_heads * head_dim, hidden)
        addChild("v_proj", vProj); // (kv_heads * head_dim, hidden)
        addChild("o_proj", oProj); // (hidden, heads * head_dim)
        this.heads = c.numAttentionHeads();
        this.kvHeads = c.numKeyValueHeads();
        this.headDim = c.headDim();
        this.layerIndex = layerIndex;
        this.dropout = (float) c.attentionDropout();
    }

    /**
     * x (B, T, hidden); cos/sin (B, 1, T, head_dim); mask (B, 1, T, S) additive, S = cached + T.
     * Returns (B, T, hidden).
     */
    public NDArray forward(NDArray x, NDArray cos, NDArray sin, NDArray mask, KVCache cache) {
        return forward(x, cos, sin, mask, cache, null);
    }

    /**
     * With prefix tuning (Li & Liang 2021): learned keys and values, each (B, kv_heads, P, head_dim),
     * go in front of the cached and new ones; the mask then has P more leading columns.
     */
    public NDArray forward(NDArray x, NDArray cos, NDArray sin, NDArray mask, KVCache cache, NDArray[] prefix) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        NDArray q = this.<Linear>child("q_proj").forward(x).reshape(b, t, heads, headDim).transpose(0, 2, 1, 3);
        NDArray k = this.<Linear>child("k_proj").forward(x).reshape(b, t, kvHeads, headDim).transpose(0, 2, 1, 3);
        NDArray v = this.<Linear>child("v_proj").forward(x).reshape(b, t, kvHeads, headDim).transpose(0, 2, 1, 3);
        q = Rotary.apply(q, cos, sin);
        k = Rotary.apply(k, cos, sin);
        if (cache != null) {
            NDArray[] kv = cache.append(layerIndex, k, v);
            k = kv[0];
            v = kv[1];
        }
        if (prefix != null) {
            k = prefix[0].concat(k, 2);
            v = prefix[1].concat(v, 2);
        }
        k = repeatKv(k);
        v = repeatKv(v);

        NDArray scale = Autograd.scalar(q, 1 / Math.sqrt(headDim));
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(scale).add(mask); // (B, H, T, S)
        NDArray weights = scores.softmax(-1);
        if (isTraining() && dropout > 0) {
            weights = Dropout.dropout(weights, dropout).head();
        }
        NDArray y = weights.matMul(v); // (B, H, T, head_dim)
        y = y.transpose(0, 2, 1, 3).reshape(b, t, (long) heads * headDim);
        return this.<Linear>child("o_proj").forward(y);
    }

    /** (B, kv_heads, S, D) -> (B, heads, S, D): each KV head serves heads/kv_heads query heads. */
    private NDArray repeatKv(NDArray kv) {
        int groups = heads / kvHeads;
        if (groups == 1) {
            return kv;
        }
        long b = kv.getShape().get(0);
        long s = kv.getShape().get(2);
        return kv.expandDims(2).broadcast(b, kvHeads, groups, s, headDim).reshape(b, heads, s, headDim);
    }
}
