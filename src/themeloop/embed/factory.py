"""Pick and build an embedding model: a registry from runtime name to model class.

``"torch"`` runs sentence-transformers (:mod:`themeloop.embed.torch`) and
``"onnx"`` runs ONNX Runtime (:mod:`themeloop.embed.onnx`). Another runtime is
added with :func:`register_runtime`. A :class:`ModelSpec` is the picklable,
fully resolved description of a model (folder, precision, runtime) that a
compute backend sends to its workers, each of which loads the model once
(:func:`model_for`).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from themeloop.embed.base import EmbeddingModel, model_folder, resolve_precision
from themeloop.embed.torch import SentenceTransformerModel
from themeloop.errors import EmbedError

# A builder takes (model folder or None for the packaged one, resolved precision).
ModelBuilder = Callable[[str | None, str], EmbeddingModel]


def _build_torch(path: str | None, precision: str) -> EmbeddingModel:
    return SentenceTransformerModel(path, precision=precision)


def _build_onnx(path: str | None, precision: str) -> EmbeddingModel:
    # Imported here, not at the top: `python -m themeloop.embed.onnx` must not
    # find the module already imported by the package.
    from themeloop.embed.onnx import OnnxModel

    return OnnxModel(path, precision=precision)


_REGISTRY: dict[str, ModelBuilder] = {"onnx": _build_onnx, "torch": _build_torch}
RUNTIMES: tuple[str, ...] = ("auto", "onnx", "torch")


def register_runtime(name: str, builder: ModelBuilder) -> None:
    """Make ``runtime = name`` build models with ``builder(path, precision)``."""
    global RUNTIMES
    _REGISTRY[name] = builder
    RUNTIMES = ("auto", *sorted(_REGISTRY))


def resolve_runtime(runtime: str, precision: str, path: str | os.PathLike[str] | None) -> str:
    """Turn ``"auto"`` into ``"onnx"`` or ``"torch"`` for a resolved precision.

    bf16 runs on torch, whose AMX kernels are what make bf16 fast; fp32 runs on
    ONNX Runtime when it is installed and the model can be exported, else on torch.
    """
    from themeloop.embed.onnx import exportable, onnxruntime_available

    if runtime not in RUNTIMES:
        raise EmbedError(
            f"The 'runtime' parameter must be one of {', '.join(RUNTIMES)}; got '{runtime}' instead"
        )
    if precision == "int8" and runtime == "torch":
        raise EmbedError(
            "int8 runs on ONNX Runtime only; set [themes] runtime = \"onnx\" (or \"auto\"), "
            "or precision = \"fp32\""
        )
    if runtime == "onnx" and precision == "bf16":
        raise EmbedError(
            "ONNX Runtime runs the model in fp32 or int8; set [themes] precision = \"fp32\" "
            "or runtime = \"torch\""
        )
    if runtime != "auto":
        return runtime
    if precision == "int8":
        folder, _ = model_folder(path)
        if not (onnxruntime_available() and exportable(folder)):
            raise EmbedError(f"int8 needs ONNX Runtime and a BERT model with mean pooling; "
                             f"'{folder}' cannot run in int8: set [themes] precision = \"fp32\"")
        return "onnx"
    if precision == "bf16" or not onnxruntime_available():
        return "torch"
    folder, _ = model_folder(path)
    return "onnx" if exportable(folder) else "torch"


@dataclass(frozen=True)
class ModelSpec:
    """A model named by value: folder (``None``: packaged), resolved precision and runtime.

    Picklable and hashable, so a backend can ship it to worker processes.
    """

    path: str | None
    precision: str
    runtime: str

    @classmethod
    def resolve(
        cls, path: str | os.PathLike[str] | None = None, *, precision: str = "auto",
        runtime: str = "auto",
    ) -> ModelSpec:
        """Resolve ``"auto"`` here, once, so every worker builds the same model."""
        if runtime == "onnx" and precision == "auto":
            precision = "fp32"  # ONNX Runtime is fp32 only; "auto" must not pick bf16 for it
        precision = resolve_precision(precision)
        resolved = resolve_runtime(runtime, precision, path)
        # Absolute, so a worker started elsewhere finds the same folder.
        return cls(None if path is None else os.path.abspath(path), precision, resolved)

    def build(self) -> EmbeddingModel:
        """A new, not yet loaded model."""
        return _REGISTRY[self.runtime](self.path, self.precision)


def build_model(
    path: str | os.PathLike[str] | None = None, *, precision: str = "auto", runtime: str = "auto"
) -> EmbeddingModel:
    """The model for a folder (``None``: the packaged one), precision and runtime."""
    return ModelSpec.resolve(path, precision=precision, runtime=runtime).build()


# Models this process has built, so a worker loads each model once. Two is
# enough for a run (the run's model, and one more in tests); older ones go.
_LOADED: OrderedDict[ModelSpec, EmbeddingModel] = OrderedDict()
_KEEP = 2


def model_for(spec: ModelSpec) -> EmbeddingModel:
    """This process's model for ``spec``, built on first use and kept."""
    model = _LOADED.pop(spec, None)
    if model is None:
        model = spec.build()
    _LOADED[spec] = model
    while len(_LOADED) > _KEEP:
        _LOADED.popitem(last=False)
    return model
