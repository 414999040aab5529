"""The same sentence-transformers model, run by ONNX Runtime in fp32 or int8.

On a CPU without bf16 hardware (no AMX, no AVX512-BF16) the model runs in
fp32 either way, and ONNX Runtime's fused BERT kernels ran it 1.45-1.6x
faster than PyTorch on a 2-core AVX2 machine (``bench/themes_scale.py``
measures both on the same texts). Its vectors match sentence-transformers' fp32 ones to cosine >= 0.9999
(tested). It also starts in a fraction of a second, where importing
sentence-transformers costs ~10 s, which is most of a small survey's run.

The ONNX graph is exported once per model (from the model folder, with torch)
into the user's cache, ``$THEMELOOP_CACHE_DIR`` or ``~/.cache/themeloop``; its
sha256 is checked on every load and a file that does not match is rebuilt.
Only BERT models with mean pooling (``1_Pooling`` with
``pooling_mode_mean_tokens``, the sentence-transformers default) are exported;
``runtime = "auto"`` runs any other model on torch.

``precision = "int8"`` runs an int8 copy of the export
(:mod:`themeloop.embed.quantize`), built from it on first use. Its dynamic
quantisation takes one activation scale per input tensor, so in a batch a
text's vector would depend on the other texts; int8 therefore runs one text
per call, on one thread per call and as many calls at once as there are
cores, and a text gets the same vector whatever it is encoded with.

    python -m themeloop.embed.onnx [MODEL_FOLDER]   # export now (``make setup`` does)
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from themeloop._io import sha256_file, write_text_atomic
from themeloop.embed.base import model_checksum, model_folder, user_cache_dir
from themeloop.errors import EmbedError

__all__ = ["EXPORT_FORMAT", "ONNX_PRECISIONS", "RUNTIME", "OnnxModel", "export", "exportable",
           "onnxruntime_available", "user_cache_dir"]

# Bump when the exported graph changes, so old exports are not reused.
EXPORT_FORMAT = 1
# How int8 vectors are made, in their cache key: 2 = one text per call (1 batched them).
INT8_VECTORS = 2
RUNTIME = "onnxruntime"
ONNX_PRECISIONS = ("fp32", "int8")


def onnxruntime_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("onnxruntime") is not None


def exportable(path: str | os.PathLike[str]) -> bool:
    """True when the model folder is a BERT model with mean pooling (what the export handles)."""
    root = Path(path)
    try:
        modules = json.loads((root / "modules.json").read_text(encoding="utf-8"))
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling = next(m["path"] for m in modules if m["type"].endswith("Pooling"))
        pool = json.loads((root / pooling / "config.json").read_text(encoding="utf-8"))
        model_type = json.loads((root / "config.json").read_text(encoding="utf-8"))["model_type"]
    except (OSError, ValueError, KeyError, StopIteration, TypeError):
        return False
    only_mean = pool.get("pooling_mode_mean_tokens") and not any(
        v for k, v in pool.items() if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens"
    )
    return (
        model_type == "bert"
        and bool(only_mean)
        and kinds[:2] == ["Transformer", "Pooling"]
        and set(kinds[2:]) <= {"Normalize"}
        and (root / "tokenizer.json").is_file()
    )


def _max_seq_length(root: Path) -> int:
    try:
        config = json.loads((root / "sentence_bert_config.json").read_text(encoding="utf-8"))
        return int(config.get("max_seq_length") or 512)
    except (OSError, ValueError, TypeError):
        return 512


def export(model_dir: str | os.PathLike[str], dest: str | os.PathLike[str]) -> Path:
    """Export a mean-pooling sentence-transformers folder to an optimised ONNX file.

    The graph takes ``input_ids`` and ``attention_mask`` (int64, batch x tokens)
    and returns the mean-pooled, not yet normalised, embedding. Eager attention
    is exported so ONNX Runtime's optimiser can fuse it into its BERT kernels.
    Writes ``dest`` atomically and a ``dest.json`` record with its sha256.
    """
    import logging
    import warnings

    import torch
    import transformers
    from onnxruntime.transformers import optimizer

    root, dest = Path(model_dir), Path(dest)
    transformers.logging.disable_progress_bar()
    transformers.logging.set_verbosity_error()
    logging.getLogger("onnxruntime.transformers").setLevel(logging.ERROR)
    model = transformers.AutoModel.from_pretrained(
        str(root), attn_implementation="eager", local_files_only=True
    ).eval()

    class MeanPooled(torch.nn.Module):
        def __init__(self, encoder):
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids, attention_mask):
            tokens = self.encoder(input_ids=input_ids, attention_mask=attention_mask)[0]
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            return (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    dest.parent.mkdir(parents=True, exist_ok=True)
    example = torch.ones(2, 8, dtype=torch.long)
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = Path(tmp) / "raw.onnx"
        with torch.no_grad():
            torch.onnx.export(
                MeanPooled(model), (example, example), str(raw), dynamo=False,
                input_names=["input_ids", "attention_mask"], output_names=["embedding"],
                dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                              "attention_mask": {0: "batch", 1: "tokens"},
                              "embedding": {0: "batch"}},
                opset_version=17,
            )
        config = model.config
        fused = optimizer.optimize_model(
            str(raw), model_type="bert", num_heads=config.num_attention_heads,
            hidden_size=config.hidden_size, opt_level=1,
        )
        done = Path(tmp) / "model.onnx"
        fused.save_model_to_file(str(done))
        digest = sha256_file(done)
        os.replace(done, dest)
    record = {"format": EXPORT_FORMAT, "sha256": digest, "model_checksum": model_checksum(root),
              "torch": torch.__version__, "transformers": transformers.__version__}
    write_text_atomic(dest.with_suffix(".json"), json.dumps(record, indent=2) + "\n")
    return dest


@contextlib.contextmanager
def _locked(path: Path):
    """An exclusive lock on ``path`` so two processes do not export at once."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class OnnxModel:
    """A mean-pooling sentence-transformers model run by ONNX Runtime (fp32 or int8).

    Parameters
    ----------
    path : model folder; ``None`` means the packaged all-MiniLM-L6-v2.
    precision : ``"fp32"`` (the export as it is) or ``"int8"`` (its quantised copy).
    batch_size : texts per forward pass (32 was fastest on 2 cores).
    model_id : the id recorded in caches and manifests (default: derived from the folder).
    cache_dir : where exported graphs live (default: :func:`user_cache_dir`).
    """

    runtime = RUNTIME

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        precision: str = "fp32",
        batch_size: int = 32,
        model_id: str | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        self.path, self.model_id = model_folder(path, model_id)
        if not exportable(self.path):
            raise EmbedError(
                f"embedding model '{self.path}' cannot run on ONNX Runtime (only BERT models "
                "with mean pooling can); set [themes] runtime = \"torch\""
            )
        if precision not in ONNX_PRECISIONS:
            raise EmbedError(f"ONNX Runtime runs the model in {' or '.join(ONNX_PRECISIONS)}, not "
                             f"'{precision}'; set [themes] precision to one of them")
        self.precision = precision
        self.batch_size = batch_size
        self.cache_dir = Path(cache_dir) if cache_dir is not None else user_cache_dir()
        self._session: Any = None  # onnxruntime.InferenceSession, made on first use
        self._tokenizer: Any = None  # tokenizers.Tokenizer
        self._pad_id = 0
        self._threads = 1

    @property
    def checksum(self) -> str:
        return model_checksum(self.path)

    @property
    def vector_tag(self) -> str | None:
        """What the embedding cache keys this model's vectors by, beyond id and checksum."""
        return f"int8-v{INT8_VECTORS}/{RUNTIME}" if self.precision == "int8" else None

    @property
    def onnx_path(self) -> Path:
        """Where this model's exported graph lives."""
        return self.cache_dir / "onnx" / f"{self.checksum[:24]}-v{EXPORT_FORMAT}" / "model.onnx"

    def ensure_exported(self) -> Path:
        """The exported graph, exported (or rebuilt when it fails its checksum) if need be."""
        target = self.onnx_path
        if self._valid(target):
            return target
        try:
            with _locked(target.parent / ".lock"):
                if not self._valid(target):
                    export(self.path, target)
        except EmbedError:
            raise
        except OSError as exc:
            raise EmbedError(
                f"cannot write the ONNX export to '{target.parent}': {exc.strerror or exc}; set "
                "THEMELOOP_CACHE_DIR to a writable folder, or [themes] runtime = \"torch\""
            ) from None
        except Exception as exc:
            raise EmbedError(
                f"cannot export embedding model '{self.path}' to ONNX: "
                f"{type(exc).__name__}: {exc}; set [themes] runtime = \"torch\""
            ) from None
        return target

    def ensure_quantized(self) -> Path:
        """The int8 copy of the export, built (or rebuilt when it fails its checksum) if need be."""
        from themeloop.embed import quantize

        source = self.ensure_exported()
        record = json.loads(source.with_suffix(".json").read_text(encoding="utf-8"))
        target = quantize.int8_path(source)
        if quantize.valid(target, record["sha256"]):
            return target
        try:
            with _locked(target.parent / ".lock"):
                if not quantize.valid(target, record["sha256"]):
                    quantize.quantize(source, target)
        except OSError as exc:
            raise EmbedError(
                f"cannot write the int8 model to '{target.parent}': {exc.strerror or exc}; set "
                "THEMELOOP_CACHE_DIR to a writable folder, or [themes] precision = \"fp32\""
            ) from None
        except Exception as exc:
            raise EmbedError(
                f"cannot quantise embedding model '{self.path}' to int8: "
                f"{type(exc).__name__}: {exc}; set [themes] precision = \"fp32\""
            ) from None
        return target

    def _valid(self, target: Path) -> bool:
        try:
            record = json.loads(target.with_suffix(".json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return (
            isinstance(record, dict)
            and record.get("format") == EXPORT_FORMAT
            and record.get("model_checksum") == self.checksum
            and target.is_file()
            and record.get("sha256") == sha256_file(target)
        )

    def _load(self) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        path = self.ensure_quantized() if self.precision == "int8" else self.ensure_exported()
        options = ort.SessionOptions()
        self._threads = len(os.sched_getaffinity(0))
        # int8 runs one text per call, many calls at once (encode), each on one thread.
        options.intra_op_num_threads = 1 if self.precision == "int8" else self._threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # the library never prints
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        tokenizer = Tokenizer.from_file(str(self.path / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=_max_seq_length(self.path))
        tokenizer.no_padding()  # encode() pads each batch itself, to its longest text
        pad_id = tokenizer.token_to_id("[PAD]")
        self._pad_id = 0 if pad_id is None else pad_id
        self._tokenizer = tokenizer

    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 embeddings, one row per text.

        Texts are batched by token count, not characters: sorted by characters,
        a batch of short answers carried 26% padding tokens; sorted by tokens, 5%
        (``bench/embed_speed.py``). Padding does not change a vector (it is
        masked out), so the order is free.
        """
        if self._session is None:
            self._load()
        texts = list(texts)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        encoded = self._tokenizer.encode_batch(texts)
        if self.precision == "int8":
            return _unit(self._one_by_one([e.ids for e in encoded]))
        lengths = np.fromiter((len(e.ids) for e in encoded), dtype=np.int64, count=len(texts))
        order = np.lexsort((np.arange(len(texts)), -lengths))
        out = np.empty((len(texts), 0), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            idx = order[start:start + self.batch_size]
            width = int(lengths[idx].max())
            ids = np.full((len(idx), width), self._pad_id, dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                ids[row, :lengths[i]] = encoded[i].ids
                mask[row, :lengths[i]] = 1
            part = self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            if out.shape[1] == 0:
                out = np.empty((len(texts), part.shape[1]), dtype=np.float32)
            out[idx] = part
        return _unit(out)

    def _one_by_one(self, ids: list[list[int]]) -> np.ndarray:
        """One text per session call, ``_threads`` calls at once (ONNX Runtime frees the GIL)."""
        from concurrent.futures import ThreadPoolExecutor

        def run(row: list[int]) -> np.ndarray:
            x = np.asarray([row], dtype=np.int64)
            return self._session.run(None, {"input_ids": x, "attention_mask": np.ones_like(x)})[0][0]

        if self._threads <= 1 or len(ids) == 1:
            return np.stack([run(row) for row in ids])
        with ThreadPoolExecutor(self._threads) as pool:
            return np.stack(list(pool.map(run, ids)))


def _unit(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms == 0, 1.0, norms)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        model = OnnxModel(args[0] if args else None)
        print(model.ensure_exported())
        print(model.ensure_quantized())
    except EmbedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
