"""Dask clusters on HPC and Kubernetes, for a :class:`~themeloop.compute.dask.DaskBackend`.

A cluster built here is started by you (a script, a notebook), and themeloop
connects to its scheduler: ``[compute] scheduler = cluster.scheduler_address``
(or ``--scheduler``). Each worker must have themeloop installed, with the same
model files, so that every worker encodes exactly what the client would.

* SLURM, through ``dask-jobqueue``: each job is a batch job running
  ``processes`` workers on ``cores`` cores (``cores / processes`` threads
  each); :func:`slurm_cluster` sets the job's environment for themeloop (the
  model's threads per process, offline model hub). The model is loaded once
  per worker process, so ``processes`` trades memory for throughput.
* Kubernetes, through the ``dask-kubernetes`` operator: :func:`kubernetes_spec`
  builds the ``DaskCluster`` resource, :func:`kubernetes_cluster` creates it.

See docs/scale-out.md for whole examples, and for TLS.
"""

from __future__ import annotations

from typing import Any

from themeloop.errors import ComputeError

JOBQUEUE_HINT = "pip install 'themeloop[dask]' (it brings dask-jobqueue)"
KUBERNETES_HINT = "pip install 'themeloop[dask]' (it brings dask-kubernetes)"
# One task at a time per Kubernetes worker pod: ONNX Runtime and torch use the pod's cores.
WORKER_THREADS = 1


def slurm_cluster(
    *, cores: int = 4, memory: str = "8GB", processes: int = 1, walltime: str = "02:00:00",
    queue: str | None = None, account: str | None = None, jobs: int = 0,
    python: str | None = None, scheduler_host: str | None = None, **job_kwargs: Any,
) -> Any:
    """A ``dask_jobqueue.SLURMCluster`` whose jobs run themeloop workers.

    Parameters
    ----------
    cores, memory : per job (``#SBATCH --cpus-per-task`` and ``--mem``).
    processes : worker processes per job; each loads the model once.
    walltime, queue, account : ``#SBATCH -t``, ``-p`` and ``-A``.
    jobs : jobs to submit now (0: none yet; call ``cluster.scale(jobs=N)`` later).
    python : the Python of a themeloop install that the compute nodes can run.
    scheduler_host : the address the scheduler listens on (default: Dask's choice).
    job_kwargs : passed on to ``SLURMCluster`` (e.g. ``job_extra_directives``).
    """
    try:
        from dask_jobqueue import SLURMCluster
    except ImportError:
        raise ComputeError(f"a SLURM cluster needs dask-jobqueue; {JOBQUEUE_HINT}") from None
    scheduler_options = dict(job_kwargs.pop("scheduler_options", {}) or {})
    if scheduler_host is not None:
        scheduler_options.setdefault("host", scheduler_host)
    env = list(job_kwargs.pop("job_script_prologue", []) or [])
    # Each worker process uses its share of the job's cores for the model, not more.
    env.append(f"export OMP_NUM_THREADS={max(1, cores // max(1, processes))}")
    env.append("export TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1")
    cluster = SLURMCluster(
        cores=cores, memory=memory, processes=processes, walltime=walltime, queue=queue,
        account=account, python=python, scheduler_options=scheduler_options,
        job_script_prologue=env, **job_kwargs,
    )
    if jobs:
        cluster.scale(jobs=jobs)
    return cluster


def kubernetes_spec(
    name: str = "themeloop", *, image: str, workers: int = 2, cpu: str = "2",
    memory: str = "4Gi",
) -> dict[str, Any]:
    """The ``DaskCluster`` resource for the dask-kubernetes operator: ``workers`` pods of ``image``.

    ``image`` must have themeloop installed (``pip install 'themeloop[dask]'``).
    Requests equal limits, so each worker gets the cores it was sized for.
    """
    try:
        from dask_kubernetes.operator import make_cluster_spec
    except ImportError:
        raise ComputeError(f"a Kubernetes cluster needs dask-kubernetes; {KUBERNETES_HINT}"
                           ) from None
    resources = {"requests": {"cpu": cpu, "memory": memory},
                 "limits": {"cpu": cpu, "memory": memory}}
    env = {"OMP_NUM_THREADS": cpu, "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1"}
    spec: dict[str, Any] = make_cluster_spec(
        name=name, image=image, n_workers=workers, resources=resources, env=env,
        worker_command=["dask-worker", "--nthreads", str(WORKER_THREADS)],
    )
    return spec


def kubernetes_cluster(spec: dict[str, Any], *, namespace: str | None = None) -> Any:
    """Create the cluster ``spec`` describes (needs a reachable Kubernetes API and the operator)."""
    try:
        from dask_kubernetes.operator import KubeCluster
    except ImportError:
        raise ComputeError(f"a Kubernetes cluster needs dask-kubernetes; {KUBERNETES_HINT}"
                           ) from None
    return KubeCluster(custom_cluster_spec=spec, namespace=namespace)
