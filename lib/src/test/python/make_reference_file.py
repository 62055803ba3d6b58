"""Writes lib/src/test/resources/safetensors/reference.safetensors without tunelab.

The `safetensors` package is not needed: the file is assembled by hand with struct/json in the
layout the reference writer produces (https://github.com/huggingface/safetensors#format):
u64 little-endian header length, compact JSON header with __metadata__ first and tensors sorted
by descending dtype then name, padded with spaces to a multiple of 8, then little-endian data.
BF16 values are rounded by torch, F16 values by numpy, so the Java conversions are checked
against independent implementations.

Run from the repository root: python3 lib/src/test/python/make_reference_file.py
"""
import json
import os
import struct

import numpy as np
import torch

np.seterr(over="ignore")

# Edge values: ties for bf16 (1 + 2^-8, 1 + 3*2^-8) and fp16 (1 + 2^-11), fp16 max and overflow,
# subnormals of both formats, infinities, NaN and negative zero.
values = np.array(
    [0.0, -0.0, 1.0, -2.5, 3.1415927, 65504.0, 65520.0, 1e-8, 6e-5, 1e30,
     float("inf"), float("-inf"), 1.0 / 3.0, 0.1, 1.0 + 2**-8, 1.0 + 3 * 2**-8,
     1.0 + 2**-11, 2**-24, 1e-40, float("nan")],
    dtype=np.float32,
)

tensors = {
    # name: (dtype string, shape, little-endian bytes)
    "f32": ("F32", [4, 5], values.astype("<f4").tobytes()),
    "bf16": ("BF16", [20], torch.from_numpy(values.copy()).to(torch.bfloat16)
             .view(torch.int16).numpy().astype("<i2").tobytes()),
    # 65520 and 1e30 overflow to inf in fp16 on purpose.
    "f16": ("F16", [2, 10], values.astype("<f2").tobytes()),
    "f64": ("F64", [3], np.array([1.0 / 3.0, -1e300, 2.5], dtype="<f8").tobytes()),
    "i64": ("I64", [3], np.array([-1, 2**40, 9223372036854775807], dtype="<i8").tobytes()),
    "i32": ("I32", [2, 2], np.array([[-7, 0], [123456, -2147483648]], dtype="<i4").tobytes()),
    "i8": ("I8", [3], np.array([-128, 0, 127], dtype="<i1").tobytes()),
    "u8": ("U8", [3], np.array([0, 1, 255], dtype="<u1").tobytes()),
    "mask": ("BOOL", [2, 2], np.array([[True, False], [False, True]]).tobytes()),
    "scalar": ("F32", [], np.array(7.5, dtype="<f4").tobytes()),
    "empty": ("F32", [0, 3], b""),
}

# The reference sorts by descending Dtype enum order, then by name.
order = ["BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"]
names = sorted(tensors, key=lambda n: (-order.index(tensors[n][0]), n.encode("utf-8")))

header = {"__metadata__": {"format": "pt", "source": "make_reference_file.py"}}
offset = 0
for n in names:
    dtype, shape, data = tensors[n]
    header[n] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
    offset += len(data)

hbytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
hbytes += b" " * ((8 - len(hbytes) % 8) % 8)

out = os.path.join("lib", "src", "test", "resources", "safetensors", "reference.safetensors")
with open(out, "wb") as f:
    f.write(struct.pack("<Q", len(hbytes)))
    f.write(hbytes)
    for n in names:
        f.write(tensors[n][2])
print(out, os.path.getsize(out), "bytes;", names)
