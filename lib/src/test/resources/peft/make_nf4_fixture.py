"""Independent NF4 reference for Nf4Test: numpy + scipy, following bitsandbytes' algorithm
(functional.py create_normal_map, create_dynamic_map, quantize_4bit with compress_statistics,
quantize_blockwise; block 64, second-level block 256). Writes nf4_fixture.json.

Run from this folder: python3 make_nf4_fixture.py
"""
import json
import math

import numpy as np
from scipy.stats import norm


def normal_map(offset=0.9677083):
    # bitsandbytes create_normal_map(use_extra_value=True): 8 positive and 7 negative quantiles of N(0,1), plus 0
    v1 = norm.ppf(np.linspace(offset, 0.5, 9)[:-1])
    v3 = -norm.ppf(np.linspace(offset, 0.5, 8)[:-1])
    v = np.sort(np.concatenate([v1, [0.0], v3]))
    return v / v.max()


def dynamic_map():
    # bitsandbytes create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8)
    data = []
    for i in range(7):
        n = 2 ** i + 1
        b = np.linspace(0.1, 1, n, dtype=np.float32)
        means = (b[:-1] + b[1:]) / np.float32(2)
        scale = 10.0 ** (-6 + i)
        data += list(np.float32(scale) * means)
        data += list(-np.float32(scale) * means)
    data += [0.0, 1.0]
    assert len(data) == 256
    return np.sort(np.array(data, dtype=np.float32))


def nearest(code, x):
    return np.argmin(np.abs(x[:, None].astype(np.float64) - code[None, :].astype(np.float64)), axis=1)


def quantize(x, code, block):
    blocks = x.reshape(-1, block)
    absmax = np.abs(blocks).max(axis=1).astype(np.float32)
    normalized = (blocks / absmax[:, None]).astype(np.float32).reshape(-1)
    return nearest(code, normalized), absmax


nf4 = np.array([-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
                -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
                0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
                0.7229568362236023, 1.0], dtype=np.float32)
assert np.allclose(nf4, normal_map(), atol=1e-6), "published NF4 table is the normal map"

n_blocks = 260  # more than one second-level block of 256
i = np.arange(64 * n_blocks)
x = (np.sin(0.7 * i) * (1 + i % 7) * (1 + (i // 64) % 5) * 0.05).astype(np.float32)

codes, absmax = quantize(x, nf4, 64)
packed = (codes[0::2] << 4) | codes[1::2]  # first value in the high nibble
offset = np.float32(absmax.astype(np.float64).mean())
centered = (absmax - offset).astype(np.float32)
pad = (-len(centered)) % 256
dq_codes, absmax2 = quantize(np.concatenate([centered, np.zeros(pad, np.float32)]), dynamic_map(), 256)
dq_codes = dq_codes[:len(centered)]
absmax_dq = (dynamic_map()[dq_codes] * np.repeat(absmax2, 256)[:len(centered)] + offset).astype(np.float32)
dequant = (nf4[codes] * np.repeat(absmax, 64)).astype(np.float32)
dequant_dq = (nf4[codes] * np.repeat(absmax_dq, 64)).astype(np.float32)

fixture = {
    "source": "make_nf4_fixture.py (numpy/scipy, bitsandbytes algorithm)",
    "input": "x[i] = float32(sin(0.7 i) * (1 + i % 7) * (1 + (i // 64) % 5) * 0.05), i < 64 * 260",
    "normal_map": [float(v) for v in normal_map()],
    "dynamic_map": [float(v) for v in dynamic_map()],
    "packed_codes_hex": bytes(packed.astype(np.uint8).tolist()).hex(),
    "absmax": [float(v) for v in absmax],
    "absmax_offset": float(offset),
    "absmax_codes_hex": bytes(dq_codes.astype(np.uint8).tolist()).hex(),
    "absmax2": [float(v) for v in absmax2],
    "dequantized_first_256": [float(v) for v in dequant[:256]],
    "dequantized_dq_first_256": [float(v) for v in dequant_dq[:256]],
    "mse": float(np.mean((dequant.astype(np.float64) - x) ** 2)),
    "mse_dq": float(np.mean((dequant_dq.astype(np.float64) - x) ** 2)),
}
with open("nf4_fixture.json", "w") as f:
    json.dump(fixture, f, indent=1)
print("blocks", n_blocks, "mse", fixture["mse"], "mse_dq", fixture["mse_dq"], "offset", offset, "absmax2", absmax2)
