"""Where heavy work runs: the :class:`Backend` seam and the in-process :class:`LocalBackend`.

The embedder maps batches of uncached texts through a backend, and theme
proposal assigns answers to centroids through one. A backend that runs the
work elsewhere (processes, a cluster) registers itself with
:func:`register_backend` and is picked by name with :func:`get_backend`.
"""

from __future__ import annotations

from collections.abc import Callable

from themeloop.compute.base import ASSIGN_BLOCK, Backend
from themeloop.compute.kernels import assign_block, batches, block_bounds
from themeloop.compute.local import LocalBackend
from themeloop.errors import ConfigError, did_you_mean

_BACKENDS: dict[str, Callable[[], Backend]] = {"local": LocalBackend}


def register_backend(name: str, factory: Callable[[], Backend]) -> None:
    """Make :func:`get_backend` build ``name`` with ``factory()``."""
    _BACKENDS[name] = factory


def get_backend(name: str = "local") -> Backend:
    """A new backend by name.

    Examples
    --------
    >>> get_backend("local")
    LocalBackend()
    """
    try:
        factory = _BACKENDS[name]
    except KeyError:
        raise ConfigError(
            f"unknown compute backend '{name}'{did_you_mean(name, _BACKENDS)}; "
            f"known backends are: {', '.join(sorted(_BACKENDS))}"
        ) from None
    return factory()


__all__ = [
    "ASSIGN_BLOCK", "Backend", "LocalBackend", "assign_block", "batches", "block_bounds",
    "get_backend", "register_backend",
]
