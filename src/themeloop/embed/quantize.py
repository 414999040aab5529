"""An int8 copy of the ONNX export, for CPUs without bf16 hardware.

The fp32 graph's weight matrices (every ``MatMul`` and the fused ``Attention``
projections) are quantised to int8 per output channel, with activations
quantised dynamically at run time (ONNX Runtime's ``quantize_dynamic``). The
word-embedding table, layer norms and pooling stay in fp32.

``reduce_range`` (7-bit weights) is on: without AVX512-VNNI, ONNX Runtime's
u8s8 kernels use ``VPMADDUBSW``, whose 16-bit sums can saturate with full 8-bit
weights; 7-bit weights cannot saturate, so the same file gives the same
vectors on AVX2, AVX-512 and VNNI CPUs up to rounding.

On a 2-core AMD EPYC with AVX-512 it took 1.68 ms of CPU per short answer
against 3.64 ms in fp32 (``bench/embed_speed.py``), with a mean cosine of
0.993 to the fp32 vectors; in the same run it moved theme NMI by up to 0.021
and autocoder sample-F1 by up to 0.010 (``bench/RESULTS.md``).

It is an option (``precision = "int8"``), not the default: those moves are
outside the 0.005 the project allows a faster encoder. Its activations are
quantised with one scale per input tensor, so :class:`~themeloop.embed.onnx.OnnxModel`
runs it one text per call, and a text's vector does not depend on the texts
encoded with it.

The quantised file is built locally from the fp32 export (never downloaded),
beside it in the user's cache, with a sha256 record checked on every load.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from themeloop._io import sha256_file, write_text_atomic

# Bump when the quantisation recipe changes, so old files are not reused.
QUANT_FORMAT = 1
OP_TYPES = ("MatMul", "Attention")
RECIPE = {"method": "dynamic", "weight_type": "QInt8", "per_channel": True,
          "reduce_range": True, "op_types": list(OP_TYPES)}


def int8_path(fp32_path: Path) -> Path:
    """Where the int8 copy of the fp32 export ``fp32_path`` lives."""
    return fp32_path.with_name(f"model.int8-q{QUANT_FORMAT}.onnx")


def valid(dest: Path, source_sha256: str) -> bool:
    """True when ``dest`` exists, matches its record, and was made from this fp32 file."""
    try:
        record = json.loads(dest.with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (isinstance(record, dict) and record.get("format") == QUANT_FORMAT
            and record.get("source_sha256") == source_sha256 and dest.is_file()
            and record.get("sha256") == sha256_file(dest))


def quantize(source: Path, dest: Path) -> Path:
    """Write the int8 copy of ``source`` to ``dest`` atomically, with its record.

    The same source gives the same bytes (the recipe has no randomness), which
    a test checks.
    """
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().setLevel(max(logging.getLogger().level, logging.ERROR))
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        done = Path(tmp) / "model.onnx"
        quantize_dynamic(
            str(source), str(done), weight_type=QuantType.QInt8, per_channel=True,
            reduce_range=True, op_types_to_quantize=list(OP_TYPES),
            # the fused BERT graph has contrib ops shape inference cannot type
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
        digest = sha256_file(done)
        os.replace(done, dest)
    record = {"format": QUANT_FORMAT, "sha256": digest, "source_sha256": sha256_file(source),
              "recipe": RECIPE}
    write_text_atomic(dest.with_suffix(".json"), json.dumps(record, indent=2) + "\n")
    return dest
