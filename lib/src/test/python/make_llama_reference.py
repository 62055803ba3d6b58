#!/usr/bin/python3
"""Independent reference for the Hugging Face Llama-family forward pass (LlamaForCausalLM, MistralForCausalLM,
Qwen2ForCausalLM), and the fixtures the Java tests read.

Regenerate (from the repository root; needs only PyTorch and NumPy, e.g. Debian's python3-torch):

    /usr/bin/python3 lib/src/test/python/make_llama_reference.py

It writes, for each fixture below, lib/src/test/resources/reference/<name>/ with
  config.json         a Hugging Face config (LlamaForCausalLM, MistralForCausalLM or Qwen2ForCausalLM)
  generation_config.json   only where a fixture lists end tokens there (llama3-tied-eos)
  model.safetensors   fp32 weights under Hugging Face parameter names, written by hand (no safetensors package)
  reference.json      inputs and expected outputs (schema in write_reference below)

The forward pass is written from the formulas in transformers' models/llama/modeling_llama.py
(LlamaRMSNorm, LlamaRotaryEmbedding, rotate_half/apply_rotary_pos_emb, repeat_kv, LlamaAttention,
LlamaMLP, LlamaForCausalLM) and modeling_rope_utils.py (_compute_default_rope_parameters,
_compute_llama3_parameters), and loss_utils.py (ForCausalLMLoss). What the other families change:
  Mistral (models/mistral/modeling_mistral.py, configuration_mistral.py): no biases anywhere; every layer
    attends through the sliding window, query i seeing keys i - sliding_window < j <= i (masking_utils.py,
    causal_mask_function and sliding_window_overlay; indices are cache positions, padding included).
  Qwen2 (models/qwen2/modeling_qwen2.py, configuration_qwen2.py): q/k/v projections with biases, o_proj and
    the MLP without; the sliding window only when use_sliding_window is true, and then only in layers
    i >= max_window_layers (layer_types).
It is computed in float64 from fp32 weights so that the expected values carry no float32 rounding of their own.

Run with fixture names as arguments to rewrite only those.

Conventions of the inputs: batch of 2; row 0 has no padding; row 1 is RIGHT-padded with pad_token_id;
position ids are 0..T-1 for both rows (what transformers uses when no position_ids are given).
Padded query positions still get logits (they attend to the real keys before them, as in transformers);
tests may compare all positions or only those where attention_mask == 1.
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_ROOT = os.path.normpath(os.path.join(HERE, "..", "resources", "reference"))

FIXTURES = [
    # GQA (4 query heads share 2 kv heads), untied lm_head, plain RoPE, no biases.
    dict(name="llama-gqa-untied", seed=1234,
         config=dict(vocab_size=97, hidden_size=48, intermediate_size=64, num_hidden_layers=2,
                     num_attention_heads=4, num_key_value_heads=2, head_dim=12,
                     rms_norm_eps=1e-5, rope_theta=10000.0, rope_scaling=None,
                     max_position_embeddings=64, tie_word_embeddings=False,
                     attention_bias=False, mlp_bias=False)),
    # Tied embeddings (no lm_head.weight in the file), llama3 rope scaling whose
    # original_max_position_embeddings is small enough that, for head_dim 16, some frequencies are
    # kept, some interpolated and some divided by the factor; q/k/v/o biases.
    # (Tied heads favour repeating the last token; larger layer outputs keep greedy decoding varied.)
    dict(name="llama-tied-rope3", seed=42, branch_std=0.4,
         config=dict(vocab_size=89, hidden_size=32, intermediate_size=56, num_hidden_layers=2,
                     num_attention_heads=2, num_key_value_heads=2, head_dim=16,
                     rms_norm_eps=1e-6, rope_theta=10000.0,
                     rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0,
                                       high_freq_factor=4.0, original_max_position_embeddings=64),
                     max_position_embeddings=128, tie_word_embeddings=True,
                     attention_bias=True, mlp_bias=False)),
    # head_dim (16) != hidden_size / num_attention_heads (8), one kv head for 4 query heads (MQA),
    # MLP biases, rope_theta 500000.
    dict(name="llama-headdim-mlpbias", seed=91011,
         config=dict(vocab_size=71, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                     num_attention_heads=4, num_key_value_heads=1, head_dim=16,
                     rms_norm_eps=1e-5, rope_theta=500000.0, rope_scaling=None,
                     max_position_embeddings=64, tie_word_embeddings=False,
                     attention_bias=False, mlp_bias=True)),
    # Llama 3.x as Llama-3.2-1B-Instruct ships it: llama3 rope scaling, rope_theta 500000, GQA, tied
    # embeddings, and several end tokens: config.json lists [EOS, a] and generation_config.json
    # [EOS, b], where b is a greedy token that comes before a (see eos_ids_from_greedy).
    dict(name="llama3-tied-eos", seed=3133, branch_std=1.0, eos_from_greedy=True,
         config=dict(model_type="llama", vocab_size=79, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                     num_attention_heads=4, num_key_value_heads=2, head_dim=16,
                     rms_norm_eps=1e-5, rope_theta=500000.0,
                     rope_scaling=dict(rope_type="llama3", factor=32.0, low_freq_factor=1.0,
                                       high_freq_factor=4.0, original_max_position_embeddings=64),
                     max_position_embeddings=128, tie_word_embeddings=True,
                     attention_bias=False, mlp_bias=False)),
    # Qwen2.5 as shipped: q/k/v biases, no o_proj bias, tied, rope_theta 1e6, eps 1e-6, no head_dim field,
    # use_sliding_window false. Its sliding_window (4) is smaller than the sequence and max_window_layers
    # (1) leaves layer 1 to slide, so honouring either while the switch is off would show in the logits.
    dict(name="qwen2-bias-tied", seed=2528, branch_std=0.7,
         config=dict(model_type="qwen2", vocab_size=83, hidden_size=48, intermediate_size=72, num_hidden_layers=2,
                     num_attention_heads=6, num_key_value_heads=2,
                     rms_norm_eps=1e-6, rope_theta=1000000.0, rope_scaling=None,
                     max_position_embeddings=64, tie_word_embeddings=True,
                     use_sliding_window=False, sliding_window=4, max_window_layers=1, use_mrope=False)),
    # Qwen2 with use_sliding_window true: layer 0 (< max_window_layers) attends fully, layer 1 through a
    # window of 5.
    dict(name="qwen2-sliding-layers", seed=2626,
         config=dict(model_type="qwen2", vocab_size=67, hidden_size=32, intermediate_size=56, num_hidden_layers=2,
                     num_attention_heads=4, num_key_value_heads=2,
                     rms_norm_eps=1e-6, rope_theta=10000.0, rope_scaling=None,
                     max_position_embeddings=64, tie_word_embeddings=False,
                     use_sliding_window=True, sliding_window=5, max_window_layers=1, use_mrope=False)),
    # Mistral: no biases, GQA (4 query heads, 2 kv heads), head_dim null (hidden_size / heads = 12),
    # a sliding window of 5 in every layer: shorter than the 12-token batch and the 22-token greedy
    # sequence, so the window shapes the logits, the loss and every greedy step past the fifth token.
    dict(name="mistral-sliding-gqa", seed=7777, step_logits=True,
         config=dict(model_type="mistral", vocab_size=91, hidden_size=48, intermediate_size=80, num_hidden_layers=2,
                     num_attention_heads=4, num_key_value_heads=2, head_dim=None,
                     rms_norm_eps=1e-5, rope_theta=1000000.0,
                     max_position_embeddings=64, tie_word_embeddings=False, sliding_window=5)),
]

BOS, EOS, PAD = 1, 2, 0
T = 12            # sequence length of the batch
ROW1_LEN = 8      # real tokens in row 1; the rest is right padding
GREEDY_NEW = 10


# ---------------------------------------------------------------- families

def model_type(cfg):
    return cfg.get("model_type", "llama")


def head_dim(cfg):
    # LlamaConfig/MistralConfig: head_dim, or hidden_size // num_attention_heads when null; Qwen2Attention:
    # getattr(config, "head_dim", hidden_size // num_attention_heads)
    return cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]


def biases(cfg):
    """(q/k/v bias, o_proj bias, MLP bias) as each family's modeling file builds its nn.Linear layers."""
    t = model_type(cfg)
    if t == "qwen2":
        return True, False, False            # Qwen2Attention: bias=True for q/k/v, False for o; Qwen2MLP: False
    if t == "mistral":
        return False, False, False           # MistralAttention and MistralMLP: bias=False
    return cfg["attention_bias"], cfg["attention_bias"], cfg["mlp_bias"]


def layer_window(cfg, layer):
    """The sliding window of a layer, or None for full causal attention."""
    t = model_type(cfg)
    if t == "mistral":
        return cfg.get("sliding_window")      # MistralAttention: config.sliding_window in every layer
    if t == "qwen2" and cfg.get("use_sliding_window") and layer >= cfg["max_window_layers"]:
        return cfg["sliding_window"]          # Qwen2Config.layer_types: "sliding_attention" from max_window_layers on
    return None


# ---------------------------------------------------------------- weights

def make_weights(cfg, seed, branch_std=0.1):
    """Random fp32 weights under Hugging Face names. Norm weights are random around 1 so that a
    missing or misplaced norm weight changes the outputs. branch_std scales v/o/up/down, i.e. how
    much each layer writes into the residual stream."""
    g = torch.Generator().manual_seed(seed)

    def randn(*shape, std):
        return (torch.randn(*shape, generator=g, dtype=torch.float64) * std).float()

    def norm_weight(n):
        return (1.0 + 0.2 * torch.randn(n, generator=g, dtype=torch.float64)).float()

    h, i, v = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    nh, nkv, hd = cfg["num_attention_heads"], cfg["num_key_value_heads"], head_dim(cfg)
    qkv_bias, o_bias, mlp_bias = biases(cfg)
    # Untied: large embeddings so the residual stream is not dominated by the first layer's output.
    # Tied: the embedding is also the output head, where 0.5 would give near one-hot softmaxes.
    w = {"model.embed_tokens.weight": randn(v, h, std=0.15 if cfg["tie_word_embeddings"] else 0.5)}
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        w[p + "input_layernorm.weight"] = norm_weight(h)
        w[p + "post_attention_layernorm.weight"] = norm_weight(h)
        # nn.Linear stores weight as [out_features, in_features]
        w[p + "self_attn.q_proj.weight"] = randn(nh * hd, h, std=0.1)
        w[p + "self_attn.k_proj.weight"] = randn(nkv * hd, h, std=0.1)
        w[p + "self_attn.v_proj.weight"] = randn(nkv * hd, h, std=branch_std)
        w[p + "self_attn.o_proj.weight"] = randn(h, nh * hd, std=branch_std)
        if qkv_bias:
            w[p + "self_attn.q_proj.bias"] = randn(nh * hd, std=0.1)
            w[p + "self_attn.k_proj.bias"] = randn(nkv * hd, std=0.1)
            w[p + "self_attn.v_proj.bias"] = randn(nkv * hd, std=0.1)
        if o_bias:
            w[p + "self_attn.o_proj.bias"] = randn(h, std=0.1)
        w[p + "mlp.gate_proj.weight"] = randn(i, h, std=0.1)
        w[p + "mlp.up_proj.weight"] = randn(i, h, std=branch_std)
        w[p + "mlp.down_proj.weight"] = randn(h, i, std=branch_std)
        if mlp_bias:
            w[p + "mlp.gate_proj.bias"] = randn(i, std=0.1)
            w[p + "mlp.up_proj.bias"] = randn(i, std=0.1)
            w[p + "mlp.down_proj.bias"] = randn(h, std=0.1)
    w["model.norm.weight"] = norm_weight(h)
    if not cfg["tie_word_embeddings"]:
        w["lm_head.weight"] = randn(v, h, std=0.1)
    return w


# ---------------------------------------------------------------- safetensors by hand

def write_safetensors(path, tensors):
    """safetensors layout: u64 little-endian header length N, N bytes of JSON header (padded with
    spaces to a multiple of 8), then the raw little-endian tensor data, tensors in name order."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        assert t.dtype == torch.float32
        data = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((8 - len(hjson) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    """Reads back what write_safetensors wrote (used only as a self-check)."""
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        assert e["dtype"] == "F32"
        b, en = e["data_offsets"]
        arr = np.frombuffer(raw[base + b:base + en], dtype="<f4").reshape(e["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out


# ---------------------------------------------------------------- the model, from the formulas

def default_inv_freq(cfg):
    # _compute_default_rope_parameters: 1 / theta^(arange(0, d, 2) / d)
    d = head_dim(cfg)
    return 1.0 / (cfg["rope_theta"] ** (torch.arange(0, d, 2, dtype=torch.float64) / d))


def llama3_inv_freq(inv_freq, rs):
    # _compute_llama3_parameters: keep high frequencies, divide low frequencies by `factor`,
    # interpolate smoothly in between (by wavelength against the original context length).
    factor, lo, hi = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
    old_ctx = rs["original_max_position_embeddings"]
    low_freq_wavelen = old_ctx / lo
    high_freq_wavelen = old_ctx / hi
    wavelen = 2 * math.pi / inv_freq
    scaled = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    smooth = (old_ctx / wavelen - lo) / (hi - lo)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    is_medium = (~(wavelen < high_freq_wavelen)) & (~(wavelen > low_freq_wavelen))
    return torch.where(is_medium, smoothed, scaled)


def inv_freq_for(cfg):
    inv = default_inv_freq(cfg)
    rs = cfg.get("rope_scaling")
    if rs is not None:
        assert rs["rope_type"] == "llama3", rs
        inv = llama3_inv_freq(inv, rs)
    return inv


def rms_norm(x, weight, eps):
    # LlamaRMSNorm: x * rsqrt(mean(x^2) + eps), then * weight (transformers does this in fp32;
    # the reference is in fp64 throughout).
    var = x.pow(2).mean(-1, keepdim=True)
    return weight * (x * torch.rsqrt(var + eps))


def rotate_half(x):
    # halves convention: (x1, x2) -> (-x2, x1), not interleaved pairs
    d = x.shape[-1] // 2
    return torch.cat((-x[..., d:], x[..., :d]), dim=-1)


def linear(x, w, name):
    y = x @ w[name + ".weight"].T
    b = w.get(name + ".bias")
    return y if b is None else y + b


def repeat_kv(x, n_rep):
    # [B, n_kv, T, d] -> [B, n_kv * n_rep, T, d]; query head j uses kv head j // n_rep
    if n_rep == 1:
        return x
    b, nkv, t, d = x.shape
    return x[:, :, None, :, :].expand(b, nkv, n_rep, t, d).reshape(b, nkv * n_rep, t, d)


def forward(cfg, w32, input_ids, attention_mask, windows=True):
    """Logits [B, T, V] in float64. windows=False drops every sliding window (for the self-checks)."""
    w = {k: v.double() for k, v in w32.items()}
    B, Tn = input_ids.shape
    h, nh, nkv, hd = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"], head_dim(cfg)
    eps = cfg["rms_norm_eps"]

    # LlamaRotaryEmbedding: freqs = positions x inv_freq; emb = cat(freqs, freqs)
    pos = torch.arange(Tn, dtype=torch.float64)
    freqs = pos[:, None] * inv_freq_for(cfg)[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[None, None], emb.sin()[None, None]   # [1, 1, T, hd]

    # causal mask AND key-padding mask; True = may attend
    causal = torch.tril(torch.ones(Tn, Tn, dtype=torch.bool))
    allowed = causal[None, None] & attention_mask.bool()[:, None, None, :]   # [B, 1, Tq, Tk]
    # sliding window: query i also needs key j > i - window (indices 0..T-1 are the cache positions here)
    idx = torch.arange(Tn)
    distance = idx[:, None] - idx[None, :]                                    # i - j

    x = w["model.embed_tokens.weight"][input_ids]
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        res = x
        xn = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = linear(xn, w, p + "self_attn.q_proj").view(B, Tn, nh, hd).transpose(1, 2)
        k = linear(xn, w, p + "self_attn.k_proj").view(B, Tn, nkv, hd).transpose(1, 2)
        v = linear(xn, w, p + "self_attn.v_proj").view(B, Tn, nkv, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k, v = repeat_kv(k, nh // nkv), repeat_kv(v, nh // nkv)
        scores = (q @ k.transpose(-1, -2)) * (hd ** -0.5)
        window = layer_window(cfg, l) if windows else None
        layer_allowed = allowed if window is None else allowed & (distance < window)[None, None]
        # A finite fill, like transformers' torch.finfo(dtype).min: a padded query whose window holds only
        # padding averages those keys instead of making NaNs that 0 * NaN would carry to real tokens.
        scores = scores.masked_fill(~layer_allowed, -1e300)
        probs = torch.softmax(scores, dim=-1)
        attn = (probs @ v).transpose(1, 2).reshape(B, Tn, nh * hd)
        x = res + linear(attn, w, p + "self_attn.o_proj")

        res = x
        xn = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        gate = linear(xn, w, p + "mlp.gate_proj")
        up = linear(xn, w, p + "mlp.up_proj")
        x = res + linear(torch.nn.functional.silu(gate) * up, w, p + "mlp.down_proj")

    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else w["lm_head.weight"]
    return x @ head.T


def causal_lm_loss(logits, labels):
    """ForCausalLMLoss: position t predicts labels[t+1]; mean over labels != -100."""
    shift_logits = logits[:, :-1, :].reshape(-1, logits.shape[-1])
    shift_labels = labels[:, 1:].reshape(-1)
    keep = shift_labels != -100
    logp = torch.log_softmax(shift_logits[keep], dim=-1)
    nll = -logp.gather(1, shift_labels[keep][:, None]).squeeze(1)
    return nll.mean()


def greedy(cfg, w, prompt, n):
    """Argmax decoding without a cache: the whole sequence is recomputed at every step.
    Returns the tokens and each step's last-position logits [n, V]."""
    seq = list(prompt)
    out = []
    steps = []
    for _ in range(n):
        ids = torch.tensor([seq])
        logits = forward(cfg, w, ids, torch.ones_like(ids))
        steps.append(logits[0, -1])
        nxt = int(torch.argmax(logits[0, -1]).item())
        # float32 implementations must not be able to flip the argmax
        top2 = torch.topk(logits[0, -1], 2).values
        assert (top2[0] - top2[1]).item() > 1e-3, f"near tie at greedy step {len(out)}: {top2}"
        out.append(nxt)
        seq.append(nxt)
    return out, torch.stack(steps)


def eos_ids_from_greedy(gen):
    """End tokens for llama3-tied-eos: b, the first greedy token (from step 2 on) not seen before it, for
    generation_config.json; a, the next such token after b, for config.json. Generation that reads both
    files stops before b; one that read only config.json would go on to a."""
    fresh = [k for k in range(2, len(gen))
             if gen[k] not in gen[:k] and gen[k] > EOS and EOS not in gen[:k]]
    assert len(fresh) >= 2, f"greedy tokens too repetitive for the eos fixture: {gen}"
    k1, k2 = fresh[0], fresh[1]
    return [EOS, gen[k2]], [EOS, gen[k1]], k1, k2


# ---------------------------------------------------------------- fixtures

ARCHITECTURES = {"llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM", "qwen2": "Qwen2ForCausalLM"}


def hf_config(cfg, eos=EOS):
    c = {
        "architectures": [ARCHITECTURES[model_type(cfg)]],
        "model_type": "llama",
        "hidden_act": "silu",
        "initializer_range": 0.02,
        "attention_dropout": 0.0,
        "use_cache": True,
        "bos_token_id": BOS,
        "eos_token_id": eos,
        "pad_token_id": PAD,
        "torch_dtype": "float32",
        "transformers_version": "4.46.0",
    }
    if model_type(cfg) == "llama":
        c["pretraining_tp"] = 1
    c.update(cfg)
    return dict(sorted(c.items()))


def make_inputs(cfg, seed):
    g = torch.Generator().manual_seed(seed + 1)
    V = cfg["vocab_size"]
    ids = torch.randint(3, V, (2, T), generator=g)   # 0..2 are pad/bos/eos
    ids[:, 0] = BOS
    ids[1, ROW1_LEN - 1] = EOS
    ids[1, ROW1_LEN:] = PAD
    mask = torch.ones(2, T, dtype=torch.long)
    mask[1, ROW1_LEN:] = 0
    labels = ids.clone()
    labels[0, :3] = -100            # a "prompt" excluded from the loss
    labels[1, :2] = -100
    labels[1, ROW1_LEN:] = -100     # padding excluded from the loss
    return ids, mask, labels


def self_checks(cfg, w, ids, mask, logits, labels, loss):
    # llama3 scaling must actually change the frequencies in this fixture (all three regimes)
    if cfg.get("rope_scaling"):
        base, scaled = default_inv_freq(cfg), inv_freq_for(cfg)
        ratio = scaled / base
        rs = cfg["rope_scaling"]
        assert (ratio == 1).any(), "no high frequency kept"
        assert (torch.isclose(ratio, torch.tensor(1.0 / rs["factor"], dtype=torch.float64))).any(), "none divided"
        assert ((ratio < 1) & (ratio > 1.0 / rs["factor"])).any(), "none interpolated"
    # right padding does not change the logits of the real tokens of row 1
    n = ROW1_LEN
    alone = forward(cfg, w, ids[1:2, :n], torch.ones(1, n, dtype=torch.long))
    assert torch.allclose(alone[0], logits[1, :n], rtol=0, atol=1e-10), "padding leaks"
    # causality: changing the last token leaves earlier logits alone
    ids2 = ids.clone()
    ids2[0, -1] = 3 if ids[0, -1] != 3 else 4
    l2 = forward(cfg, w, ids2, mask)
    assert torch.allclose(l2[0, :-1], logits[0, :-1], rtol=0, atol=1e-10), "not causal"
    assert not torch.allclose(l2[0, -1], logits[0, -1]), "last token has no effect"
    # loss against torch's own cross entropy
    ref = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]),
                                            labels[:, 1:].reshape(-1), ignore_index=-100)
    assert abs(ref.item() - loss.item()) < 1e-12, (ref, loss)
    # the logits are not degenerate (a wrong model must show)
    assert logits.std() > 0.2, logits.std()
    # a sliding window, where one applies, changes the logits from its first blocked key on and not before
    windows = [layer_window(cfg, l) for l in range(cfg["num_hidden_layers"])]
    if any(windows):
        full = forward(cfg, w, ids, mask, windows=False)
        first = min(x for x in windows if x)
        assert torch.allclose(full[:, :first], logits[:, :first], rtol=0, atol=1e-10), "window hides too much"
        assert (full[0, first:] - logits[0, first:]).abs().max() > 1e-2, "the window changes nothing"
    # Qwen2 with use_sliding_window false: turning it on would change the logits, so the fixture tells
    if model_type(cfg) == "qwen2" and not cfg.get("use_sliding_window"):
        on = dict(cfg, use_sliding_window=True)
        assert (forward(on, w, ids, mask)[0] - logits[0]).abs().max() > 1e-2, "sliding_window would not matter"


def write_fixture(fx):
    cfg, name = fx["config"], fx["name"]
    out = os.path.join(OUT_ROOT, name)
    os.makedirs(out, exist_ok=True)
    w = make_weights(cfg, fx["seed"], fx.get("branch_std", 0.1))
    st = os.path.join(out, "model.safetensors")
    write_safetensors(st, w)
    back = read_safetensors(st)
    assert sorted(back) == sorted(w) and all(torch.equal(back[k], w[k]) for k in w)

    ids, mask, labels = make_inputs(cfg, fx["seed"])
    logits = forward(cfg, w, ids, mask)
    loss = causal_lm_loss(logits, labels)
    self_checks(cfg, w, ids, mask, logits, labels, loss)
    prompt = ids[0].tolist()
    gen, step_logits = greedy(cfg, w, prompt, GREEDY_NEW)
    extra = {}
    eos = EOS
    if fx.get("eos_from_greedy"):
        eos, gen_eos, k1, k2 = eos_ids_from_greedy(gen)
        with open(os.path.join(out, "generation_config.json"), "w") as f:
            # the shape of Llama-3.2-1B-Instruct's generation_config.json
            json.dump({"bos_token_id": BOS, "do_sample": True, "eos_token_id": gen_eos, "temperature": 0.6,
                       "top_p": 0.9, "transformers_version": "4.46.0"}, f, indent=2)
            f.write("\n")
        extra["eos_config_json"] = eos
        extra["eos_generation_config_json"] = gen_eos
        extra["greedy_until_eos"] = gen[:k1]          # stops at generation_config.json's b
        extra["greedy_until_config_eos"] = gen[:k2]   # what config.json's ids alone would give
    if fx.get("step_logits"):
        # logits of each greedy step's last position: what cached generation must reproduce
        extra["greedy_step_logits"] = [float(f"{x:.9g}") for x in step_logits.float().reshape(-1).tolist()]
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(hf_config(cfg, eos), f, indent=2)
        f.write("\n")
    write_reference(out, name, cfg, ids, mask, labels, logits, loss, prompt, gen, extra)
    size = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    print(f"{name}: loss={loss.item():.6f} greedy={gen} ({size} bytes)")


def write_reference(out, name, cfg, ids, mask, labels, logits, loss, prompt, gen, extra):
    """reference.json schema:
      fixture          name of the fixture
      torch_version    torch.__version__ of the run that wrote it
      padding_side     "right" (row 0 unpadded, row 1 right-padded with pad_token_id)
      position_ids     note: positions are 0..T-1 for every row
      input_ids        [B][T] ints
      attention_mask   [B][T] ints (1 real, 0 padding)
      labels           [B][T] ints, -100 = ignored
      logits_shape     [B, T, V]
      logits           B*T*V floats, row-major (b, t, v), rounded to float32
      loss             float: mean over (b, t) with labels[b][t+1] != -100 of -log_softmax(logits[b][t])[labels[b][t+1]]
      greedy_prompt    the prompt for greedy decoding (row 0 of input_ids)
      greedy           the 10 next tokens by argmax decoding, no cache, no EOS stop
      rope_inv_freq    head_dim/2 inverse frequencies after rope_scaling (for debugging)
    and, where a fixture has them:
      greedy_step_logits          GREEDY_NEW*V floats: step k's logits at the last position of prompt + greedy[:k]
      eos_config_json             config.json's eos_token_id list
      eos_generation_config_json  generation_config.json's eos_token_id list
      greedy_until_eos            the greedy tokens before the first id of either list
      greedy_until_config_eos     the greedy tokens before the first id of config.json's list
    """
    ref = {
        "fixture": name,
        "torch_version": torch.__version__,
        "padding_side": "right",
        "position_ids": "0..T-1 for every row",
        "input_ids": ids.tolist(),
        "attention_mask": mask.tolist(),
        "labels": labels.tolist(),
        "logits_shape": list(logits.shape),
        # float32 repr keeps the file small; 9 significant digits reproduce the float32 exactly
        "logits": [float(f"{x:.9g}") for x in logits.float().reshape(-1).tolist()],
        "loss": loss.item(),
        "greedy_prompt": prompt,
        "greedy": gen,
        "rope_inv_freq": inv_freq_for(cfg).tolist(),
    }
    ref.update(extra)
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
        f.write("\n")


def main():
    torch.set_num_threads(1)
    wanted = set(sys.argv[1:])
    unknown = wanted - {fx["name"] for fx in FIXTURES}
    assert not unknown, f"no fixture {sorted(unknown)}"
    for fx in FIXTURES:
        if not wanted or fx["name"] in wanted:
            write_fixture(fx)


if __name__ == "__main__":
    sys.exit(main())
