package dev.tunelab.model;

import ai.djl.ndarray.NDArray;

/** One pre-norm transformer block: x + attn(norm(x)), then + mlp(norm(x)). */
public final class DecoderLayer extends Module {
    DecoderLayer(RMSNorm inputNorm, Attention attention, RMSNorm postAttentionNorm, Mlp mlp) {
        addChild("input_layernorm", inputNorm);
        addChild("self_attn", attention);
        addChild("post_attention_layernorm", postAttentionNorm);
        addChild("mlp", mlp);
    }

    public Attention attention() {
        return child("self_attn");
    }

    public NDArray forward(NDArray x, NDArray cos, NDArray sin, NDArray mask, KVCache cache) {
        return forward(x, cos, sin, mask, cache, null);
    }

    /** With prefix tuning's {keys, values} for this layer (null: none). */
    public NDArray forward(NDArray x, NDArray cos, NDArray sin, NDArray mask, KVCache cache, NDArray[] prefix) {
        NDArray h = x.add(attention().forward(this.<RMSNorm>child("input_layernorm").forward(x), cos, sin, mask, cache, prefix));
        return h.add(this.<Mlp>child("mlp").forward(this.<RMSNorm>child("post_attention_layernorm").forward(h)));
    }
}
