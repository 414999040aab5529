"""Where heavy work runs: the :class:`Backend` seam and the in-process :class:`LocalBackend`.

The embedder maps batches of uncached texts through a backend, and theme
proposal assigns answers to centroids through one. A backend that runs the
work elsewhere (processes, a cluster) registers itself with
:func:`register_backend` and is picked by name with :func:`get_backend`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from themeloop.compute.base import ASSIGN_BLOCK, Backend
from themeloop.compute.kernels import assign_block, batches, block_bounds
from themeloop.compute.local import LocalBackend
from themeloop.errors import ConfigError, did_you_mean

if TYPE_CHECKING:
    from themeloop.config import ComputeSection


def _dask() -> Backend:
    from themeloop.compute.dask import dask_backend_from_env

    return dask_backend_from_env()


_BACKENDS: dict[str, Callable[[], Backend]] = {"local": LocalBackend, "dask": _dask}


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


def backend_for(
    settings: ComputeSection | None = None, *, backend: str | None = None,
    scheduler: str | None = None, root: str | os.PathLike[str] | None = None,
) -> Backend:
    """The backend ``[compute]`` asks for, with ``--backend`` / ``--scheduler`` overriding it.

    A ``--scheduler`` alone implies the Dask backend. TLS files in ``settings``
    are relative to ``root`` (the project folder). Close a Dask backend when done.

    Examples
    --------
    >>> backend_for()
    LocalBackend()
    >>> backend_for(backend="dask", scheduler="local:2")
    DaskBackend(scheduler='local:2')
    """
    name = backend or (settings.backend if settings is not None else "local")
    address = scheduler or (settings.scheduler if settings is not None else None)
    if scheduler is not None and backend is None:
        name = "dask"
    if name == "local":
        if scheduler is not None:
            raise ConfigError("--scheduler needs the Dask backend; drop --backend local")
        return LocalBackend()
    if name != "dask":
        return get_backend(name)
    from themeloop.compute.dask import DaskBackend, tls_security

    security = None
    if settings is not None and settings.tls_ca_file:
        base = Path(root) if root is not None else Path()
        security = tls_security(base / settings.tls_ca_file,
                                base / settings.tls_cert if settings.tls_cert else None,
                                base / settings.tls_key if settings.tls_key else None)
    return DaskBackend(address or f"local:{os.cpu_count() or 1}", security=security)


def close_backend(backend: Backend | None) -> None:
    """Close ``backend`` if it holds a cluster or a connection (a Dask backend does)."""
    close = getattr(backend, "close", None)
    if callable(close):
        close()


__all__ = [
    "ASSIGN_BLOCK", "Backend", "LocalBackend", "assign_block", "backend_for", "batches",
    "block_bounds", "close_backend", "get_backend", "register_backend",
]
