"""The :class:`DaskBackend`: the heavy work on a Dask cluster (``pip install themeloop[dask]``).

``scheduler`` names the cluster:

* ``"local:N"`` starts a :class:`distributed.LocalCluster` of N worker
  processes (one thread each) bound to 127.0.0.1, closed with the backend;
* ``"tcp://host:8786"`` (or ``"tls://..."`` with a
  :class:`distributed.security.Security`) connects to a scheduler someone
  already runs: ``dask scheduler`` on a machine, a SLURM or Kubernetes
  cluster (:mod:`themeloop.compute.clusters`).

What runs where: batches of uncached texts are encoded on the workers, each
loading the model once (a :class:`distributed.WorkerPlugin` calls the task's
``warm_up``; a worker that restarts after a crash gets it again), and the
vectors come back to the client, which keeps the cache. Blockwise work (a
nearest-centroid assignment, an autocoder's predictions) is shipped as
blocks of rows; an object every block needs (the centroids, a fitted model)
goes to each worker once. A worker that dies mid-task has its tasks rerun
elsewhere by the scheduler; a task that kills workers again and again fails
the run with one :class:`~themeloop.errors.ComputeError`.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import numpy as np

from themeloop.compute.base import ASSIGN_BLOCK
from themeloop.compute.kernels import AssignWith, batches, block_bounds
from themeloop.errors import ComputeError

T = TypeVar("T")
R = TypeVar("R")

INSTALL_HINT = "install the Dask extra: pip install 'themeloop[dask]'"
# Tasks in flight per worker: enough to keep each busy, few enough that the
# client never holds more than a handful of results it has not yet consumed.
IN_FLIGHT_PER_WORKER = 2


def import_distributed() -> Any:
    """``distributed``, or a :class:`ComputeError` with the install hint."""
    try:
        import distributed
    except ImportError:
        raise ComputeError(f"the Dask backend needs dask.distributed; {INSTALL_HINT}") from None
    return distributed


def parse_scheduler(scheduler: str) -> tuple[str, int | str]:
    """``("local", N)`` for ``"local:N"``, else ``("address", scheduler)``.

    Examples
    --------
    >>> parse_scheduler("local:4"), parse_scheduler("tcp://10.0.0.5:8786")
    (('local', 4), ('address', 'tcp://10.0.0.5:8786'))
    """
    if scheduler.startswith("local:"):
        count = scheduler.removeprefix("local:")
        if not count.isdigit() or int(count) < 1:
            raise ComputeError(
                f"scheduler '{scheduler}': 'local:N' needs N, a positive number of worker "
                "processes, e.g. 'local:2'"
            )
        return "local", int(count)
    if "://" not in scheduler:
        raise ComputeError(
            f"scheduler '{scheduler}' is neither 'local:N' nor an address such as "
            "'tcp://host:8786' or 'tls://host:8786'"
        )
    return "address", scheduler


def _call(fn: Callable[..., R], *args: Any) -> R:
    return fn(*args)


class DaskBackend:
    """Run the work on a Dask cluster; results are the same as :class:`LocalBackend`'s.

    Parameters
    ----------
    scheduler : ``"local:N"`` or a scheduler address (see the module docstring).
    security : a :class:`distributed.security.Security` for a ``tls://`` scheduler.
    connect_timeout : seconds to wait for the scheduler before giving up.
    memory_limit : per worker of a ``local:N`` cluster (Dask's syntax, e.g. ``"3GB"``;
        default: Dask's ``"auto"``, the machine's memory split between the workers).

    Attributes
    ----------
    bytes_sent : bytes of arrays and texts handed to workers so far.
    bytes_received : bytes of results brought back so far.

    The cluster starts on first use. Close the backend (or use it as a context
    manager) to stop a ``local:N`` cluster; an existing scheduler is only
    disconnected from.
    """

    name = "dask"

    def __init__(
        self, scheduler: str = "local:2", *, security: Any = None, connect_timeout: float = 10,
        memory_limit: str | None = None,
    ) -> None:
        self.scheduler = scheduler
        self.security = security
        self.connect_timeout = connect_timeout
        self.memory_limit = memory_limit
        self.bytes_sent = 0
        self.bytes_received = 0
        self._kind, self._target = parse_scheduler(scheduler)
        self._cluster: Any = None
        self._client: Any = None
        self._plugins: set[str] = set()

    # ------------------------------------------------------------------ the cluster
    @property
    def client(self) -> Any:
        """The :class:`distributed.Client`, connected on first use."""
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _connect(self) -> Any:
        distributed = import_distributed()
        if self._kind == "local":
            # Loopback only: a LocalCluster is for this machine and must not listen on a network.
            self._cluster = distributed.LocalCluster(
                n_workers=int(self._target), threads_per_worker=1, processes=True,
                host="127.0.0.1", dashboard_address=None, memory_limit=self.memory_limit or "auto",
                silence_logs=50,
            )
            return distributed.Client(self._cluster, set_as_default=False)
        try:
            return distributed.Client(
                self._target, security=self.security, timeout=self.connect_timeout,
                set_as_default=False,
            )
        except (OSError, TimeoutError) as exc:
            raise ComputeError(
                f"cannot reach the Dask scheduler at {self._target} ({type(exc).__name__}); "
                "check [compute] scheduler, or use scheduler = \"local:N\""
            ) from None

    def n_workers(self) -> int:
        """Workers the scheduler has now."""
        return len(self.client.scheduler_info(n_workers=-1)["workers"])

    def close(self) -> None:
        """Disconnect, and stop the cluster this backend started."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None
        self._plugins.clear()

    def __enter__(self) -> DaskBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"DaskBackend(scheduler={self.scheduler!r})"

    # ------------------------------------------------------------------ the work
    def _warm(self, fn: Any) -> None:
        """Register a plugin that loads what ``fn`` needs once per worker (e.g. the model)."""
        if not hasattr(fn, "warm_up"):
            return
        name = f"themeloop-warm-{abs(hash(fn))}"
        if name not in self._plugins:
            from themeloop.compute._dask_plugin import WarmUp

            self.client.register_plugin(WarmUp(fn), name=name)
            self._plugins.add(name)

    def _ordered(self, submit: Callable[[int], Any], n: int) -> Iterator[Any]:
        """Results of ``submit(0..n-1)`` in order, with a bounded number in flight."""
        distributed = import_distributed()
        window = max(2, IN_FLIGHT_PER_WORKER * max(1, self.n_workers()))
        pending: deque[Any] = deque()
        next_index = 0
        try:
            while next_index < n or pending:
                while next_index < n and len(pending) < window:
                    pending.append(submit(next_index))
                    next_index += 1
                future = pending.popleft()
                try:
                    result = future.result()
                except distributed.KilledWorker as exc:
                    raise ComputeError(
                        f"Dask workers kept dying while running a task ({exc}); the run "
                        "stopped and wrote nothing; check the workers' memory and logs"
                    ) from None
                self.bytes_received += _nbytes(result)
                yield result
        finally:
            for future in pending:
                future.cancel()

    def map_batches(
        self, fn: Callable[[list[T]], R], items: Sequence[T], batch_size: int
    ) -> Iterator[R]:
        """``fn`` over consecutive batches on the workers; results in input order."""
        parts = list(batches(items, batch_size))
        if not parts:
            return
        self._warm(fn)
        remote_fn = self.client.scatter(fn, broadcast=True, hash=False)

        def submit(i: int) -> Any:
            self.bytes_sent += _nbytes(parts[i])
            return self.client.submit(_call, remote_fn, parts[i], pure=False)

        yield from self._ordered(submit, len(parts))

    def map_blocks(
        self, fn: Callable[..., R], columns: Sequence[Any], block: int = ASSIGN_BLOCK
    ) -> Iterator[R]:
        """``fn(*column_rows)`` per block of ``block`` rows on the workers, in order.

        ``fn`` (with whatever it carries: a model, centroids) goes to each
        worker once; each call gets the same rows of every column.
        """
        n = len(columns[0]) if columns else 0
        bounds = block_bounds(n, block)
        if not bounds:
            return
        self._warm(fn)
        remote_fn = self.client.scatter(fn, broadcast=True, hash=False)
        self.bytes_sent += _nbytes(fn) * max(1, self.n_workers())

        def submit(i: int) -> Any:
            start, stop = bounds[i]
            rows = [column[start:stop] for column in columns]
            self.bytes_sent += sum(_nbytes(r) for r in rows)
            return self.client.submit(_call, remote_fn, *rows, pure=False)

        yield from self._ordered(submit, len(bounds))

    def assign(
        self, embeddings: np.ndarray, centroids: np.ndarray, block: int = ASSIGN_BLOCK
    ) -> tuple[np.ndarray, np.ndarray]:
        """(index of the nearest centroid, its cosine) per row, blockwise on the workers."""
        n = len(embeddings)
        best = np.full(n, -1, dtype=int)
        sims = np.full(n, np.nan, dtype=np.float32)
        if len(centroids) == 0 or n == 0:
            return best, sims
        task = AssignWith(np.ascontiguousarray(centroids, dtype=np.float32))
        parts = self.map_blocks(task, [embeddings], block)
        for (start, stop), (b, s) in zip(block_bounds(n, block), parts):
            best[start:stop], sims[start:stop] = b, s
        return best, sims


def _nbytes(value: Any) -> int:
    """Bytes of the arrays and strings in ``value``: what a transfer moves, roughly."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, str):
        return len(value.encode("utf-8", "surrogatepass"))
    if isinstance(value, list | tuple):
        return sum(_nbytes(v) for v in value)
    if isinstance(value, dict):
        return sum(_nbytes(v) for v in value.values())
    if hasattr(value, "__dict__"):
        return sum(_nbytes(v) for v in vars(value).values())
    return 8


def tls_security(
    ca_file: str | os.PathLike[str], cert: str | os.PathLike[str] | None = None,
    key: str | os.PathLike[str] | None = None,
) -> Any:
    """A :class:`distributed.security.Security` that requires TLS, from PEM files.

    ``ca_file`` verifies the scheduler and workers; ``cert`` and ``key`` are
    this client's (mutual TLS). Each file must exist.
    """
    for label, path in (("tls_ca_file", ca_file), ("tls_cert", cert), ("tls_key", key)):
        if path is not None and not os.path.isfile(path):
            raise ComputeError(f"[compute] {label}: {path}: no such file; give the PEM file's path")
    security = import_distributed().security.Security
    return security(tls_ca_file=str(ca_file), tls_client_cert=str(cert) if cert else None,
                    tls_client_key=str(key) if key else None, require_encryption=True)


def dask_backend_from_env() -> DaskBackend:
    """A backend for ``get_backend("dask")``: ``$THEMELOOP_SCHEDULER`` or one worker per core."""
    return DaskBackend(os.environ.get("THEMELOOP_SCHEDULER") or f"local:{os.cpu_count() or 1}")
