"""The Dask backend on a real LocalCluster (2 worker processes on 127.0.0.1).

Same results as the local backend (embedding with the packaged model, theme
assignment, autocoder predictions), loopback addresses only, a killed worker
recovered from, a worker-killing task failing with one line, and the SLURM and
Kubernetes cluster objects built as configured (no SLURM or Kubernetes needed).
"""

from __future__ import annotations

import copy
import os
import signal
import sys
import time
from urllib.parse import urlparse

import numpy as np
import pandas as pd
import pytest

distributed = pytest.importorskip("distributed", reason="the Dask extra is not installed: "
                                  "pip install 'themeloop[dask]'")

import cloudpickle  # noqa: E402  (after the skip: it comes with the Dask extra's dependencies)

from themeloop.autocode.blockwise import predict_blockwise  # noqa: E402
from themeloop.autocode.estimator import AutoCoder  # noqa: E402
from themeloop.autocode.prototypes import Prototypes  # noqa: E402
from themeloop.compute import LocalBackend, backend_for  # noqa: E402
from themeloop.compute.dask import DaskBackend, parse_scheduler  # noqa: E402
from themeloop.config import ComputeSection  # noqa: E402
from themeloop.embed import Embedder  # noqa: E402
from themeloop.errors import ComputeError  # noqa: E402
from themeloop.themes import ThemeProposer  # noqa: E402

# The workers unpickle this module's functions by value: they need not import the tests.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

TEXTS = [f"Answer {i}: funding for {'staff ' * (i % 5)}is short and {'rules ' * (i % 3)}change."
         for i in range(48)]


@pytest.fixture(scope="module")
def cluster():
    backend = DaskBackend("local:2")
    try:
        yield backend
    finally:
        backend.close()


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _host(address: str) -> str:
    return urlparse(address).hostname or ""


def test_the_local_cluster_listens_on_loopback_only(cluster):
    info = cluster.client.scheduler_info(n_workers=-1)
    addresses = [cluster.client.scheduler.address, *info["workers"]]
    addresses += [w["nanny"] for w in info["workers"].values() if w.get("nanny")]
    assert len(info["workers"]) == 2
    assert {_host(a) for a in addresses} == {"127.0.0.1"}, addresses
    # Every socket the scheduler (in this process), the nannies and the workers listen on.
    import psutil

    workers = [psutil.Process(pid) for pid in cluster.client.run(os.getpid).values()]
    processes = [psutil.Process(), *workers, *(w.parent() for w in workers)]
    listening = [c.laddr for p in processes for c in p.net_connections(kind="inet")
                 if c.status == psutil.CONN_LISTEN]
    assert len(listening) >= 5  # scheduler, 2 nannies, 2 workers
    assert {a.ip for a in listening} == {"127.0.0.1"}, listening


def _slow_square(batch: list[int]) -> list[int]:
    time.sleep(0.4)
    return [v * v for v in batch]


def _wait_for_workers(backend: DaskBackend, n: int) -> None:
    deadline = time.monotonic() + 90
    while backend.n_workers() < n and time.monotonic() < deadline:
        time.sleep(0.2)


def test_a_killed_worker_is_replaced_and_the_run_completes_with_the_same_result(cluster):
    items = list(range(60))
    pids = cluster.client.run(os.getpid)
    results = []
    for i, part in enumerate(cluster.map_batches(_slow_square, items, 3)):
        results.extend(part)
        if i == 1:  # mid-run: tasks are running on both workers
            victim = sorted(pids.values())[0]
            os.kill(victim, signal.SIGKILL)
    assert results == [v * v for v in items]
    _wait_for_workers(cluster, 2)
    now = set(cluster.client.run(os.getpid).values())
    assert victim not in now and len(now) == 2  # the nanny started a new worker


def test_embedding_on_workers_is_identical_and_each_worker_loads_the_model_once(cluster, tmp_path):
    local = Embedder(precision="fp32", runtime="onnx", batch_size=8).encode(TEXTS)
    remote = Embedder(precision="fp32", runtime="onnx", batch_size=8, backend=cluster,
                      cache_dir=tmp_path)
    vectors = remote.encode(TEXTS + TEXTS[:5])
    assert np.array_equal(vectors[:len(TEXTS)], local)
    assert np.array_equal(vectors[len(TEXTS):], local[:5])
    assert remote.n_model_calls_ == 6 and remote.n_encoded_ == len(TEXTS)

    def models_loaded() -> int:
        from themeloop.embed import factory

        return len(factory._LOADED)

    # The worker plugin loaded the model before the first batch; no batch loaded another.
    assert sorted(cluster.client.run(models_loaded).values()) == [1, 1]
    # The vectors came back to the client's cache: a second pass encodes nothing.
    again = Embedder(precision="fp32", runtime="onnx", batch_size=8, backend=cluster,
                     cache_dir=tmp_path)
    assert np.array_equal(again.encode(TEXTS), local) and again.n_model_calls_ == 0
    assert cluster.bytes_received >= local.nbytes


def test_theme_assignment_and_autocoding_on_workers_are_identical(cluster):
    rng = np.random.default_rng(7)
    groups = np.repeat([0, 1, 2, 5], [40, 40, 40, 3])
    x = _unit(np.eye(16)[groups] + rng.normal(scale=0.15, size=(len(groups), 16)))
    words = {0: "money budget", 1: "staff hiring", 2: "rules paperwork", 5: "the weather"}
    texts = [f"{words[g]} answer {i}" for i, g in enumerate(groups)]
    # A fitted proposer's state (its fit, with spaCy keywords, is slow and stays local anyway).
    local = ThemeProposer(random_state=0, min_similarity=0.5)
    local.centroids_ = _unit(np.eye(16, dtype=np.float32)[[0, 1, 2]] + 0.05)
    local.floors_ = np.full(3, local.min_similarity, dtype=np.float32)  # per-theme floors
    remote = copy.copy(local)
    remote.backend = cluster
    assert np.array_equal(remote.predict(x), local.predict(x))
    assert local.predict(x)[:120].tolist() == np.minimum(groups, 2)[:120].tolist()
    new = _unit(rng.normal(size=(301, 16)) + np.eye(16)[rng.integers(0, 3, 301)])
    assert np.array_equal(local.assign(new)[1], remote.assign(new)[1], equal_nan=True)
    assert np.array_equal(local.predict(new), remote.predict(new))

    y = np.eye(3)[np.minimum(groups, 2)]
    protos = Prototypes(np.eye(16, dtype=np.float32)[:3], np.arange(3),
                        np.zeros((0, 16), dtype=np.float32), np.zeros(0, dtype=np.int64))
    model = AutoCoder(cv=3).fit(x, y, codes=["cost", "staff", "rules"], prototypes=protos,
                                texts=texts)
    here = predict_blockwise(model, x, texts, backend=LocalBackend(), block=50)
    there = predict_blockwise(model, x, texts, backend=cluster, block=50)
    assert np.array_equal(here[0], there[0]) and np.array_equal(here[1], there[1])
    assert np.array_equal(here[1], model.predict(x, texts))  # blocks change nothing
    assert here[1][:120].argmax(axis=1).tolist() == np.minimum(groups, 2)[:120].tolist()


def test_keywords_counted_on_workers_are_the_keywords_of_all_the_answers(cluster):
    from themeloop.themes.keyword_counts import keywords_blockwise
    from themeloop.themes.keywords import analyse, ctfidf_keywords

    words = ["Our budget and the funding cuts", "Hiring social workers is hard",
             "Too much paperwork from the rules", "Seed funding for pilots ran out",
             "Staff turnover and hiring freezes", "The weather"]
    texts = [f"{words[i % 6]} ({i})" for i in range(90)]
    labels = np.array([[0, 1, 2, 0, 1, -1][i % 6] for i in range(90)])
    whole = ctfidf_keywords(analyse(texts).docs, labels)
    # Blocks of 25 on two workers: lemmatised and counted there, only the counts come back.
    there = keywords_blockwise(texts, labels, backend=cluster, block=25)
    assert there == {t: kw for t, kw in whole.items() if kw}
    assert "budget" in there[0] and "hiring" in there[1] and "paperwork" in there[2]


def test_an_unreachable_scheduler_is_one_line(tmp_path, cli):
    pd.DataFrame({"id": ["a", "b"], "t": ["money", "staff"]}).to_csv(tmp_path / "s.csv",
                                                                      index=False)
    result = cli("themes", str(tmp_path / "s.csv"), "--id-column", "id", "--text-column", "t",
                 "--out", str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:9",
                 "--cache-dir", str(tmp_path / "cache"))
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines()[-1] == (
        "Error: cannot reach the Dask scheduler at tcp://127.0.0.1:9 (OSError); check "
        "[compute] scheduler, or use scheduler = \"local:N\"")
    assert not (tmp_path / "out" / "themes.json").exists()


@pytest.mark.parametrize(("scheduler", "message"), [
    ("local:0", "scheduler 'local:0': 'local:N' needs N, a positive number of worker "
                "processes, e.g. 'local:2'"),
    ("local:two", "scheduler 'local:two': 'local:N' needs N, a positive number of worker "
                  "processes, e.g. 'local:2'"),
    ("10.0.0.5:8786", "scheduler '10.0.0.5:8786' is neither 'local:N' nor an address such as "
                      "'tcp://host:8786' or 'tls://host:8786'"),
])
def test_bad_scheduler_strings_are_refused(scheduler, message):
    with pytest.raises(ComputeError) as err:
        parse_scheduler(scheduler)
    assert str(err.value) == message


def test_compute_settings_and_flags_pick_the_backend(tmp_path):
    assert isinstance(backend_for(ComputeSection()), LocalBackend)
    picked = backend_for(ComputeSection(backend="dask", scheduler="local:3"))
    assert isinstance(picked, DaskBackend) and picked.scheduler == "local:3"
    assert backend_for(ComputeSection(), scheduler="tcp://h:8786").scheduler == "tcp://h:8786"
    assert isinstance(backend_for(ComputeSection(backend="dask"), backend="local"), LocalBackend)
    assert backend_for(backend="dask").scheduler == f"local:{os.cpu_count()}"
    with pytest.raises(ComputeError, match=r"^\[compute\] tls_ca_file: .*ca.pem: no such file"):
        backend_for(ComputeSection(backend="dask", scheduler="tls://h:8786",
                                   tls_ca_file="ca.pem"), root=tmp_path)
    (tmp_path / "ca.pem").write_text("x")
    with pytest.raises(ComputeError, match=r"^\[compute\] tls_cert: .*me.pem: no such file"):
        backend_for(ComputeSection(backend="dask", scheduler="tls://h:8786",
                                   tls_ca_file="ca.pem", tls_cert="me.pem"), root=tmp_path)


def test_a_slurm_cluster_is_built_as_configured():
    pytest.importorskip("dask_jobqueue", reason="dask-jobqueue is not installed: "
                        "pip install 'themeloop[dask]'")
    from dask_jobqueue import SLURMCluster

    from themeloop.compute.clusters import slurm_cluster

    cluster = slurm_cluster(cores=8, memory="16GB", processes=2, queue="short", account="soc1",
                            walltime="01:30:00", scheduler_host="127.0.0.1")
    try:
        assert isinstance(cluster, SLURMCluster)
        assert _host(cluster.scheduler_address) == "127.0.0.1"
        script = cluster.job_script()
        for line in ("#SBATCH -p short", "#SBATCH -A soc1", "#SBATCH --cpus-per-task=8",
                     "#SBATCH --mem=15G", "#SBATCH -t 01:30:00", "export OMP_NUM_THREADS=4",
                     "export TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1"):
            assert line in script.splitlines(), (line, script)
        assert f"distributed.cli.dask_worker {cluster.scheduler_address}" in script
        assert "--nworkers 2" in script and "--nthreads 4" in script
        assert len(cluster.workers) == 0  # nothing was submitted
    finally:
        cluster.close()


def test_a_kubernetes_cluster_spec_is_built_as_configured():
    pytest.importorskip("dask_kubernetes", reason="dask-kubernetes is not installed: "
                        "pip install 'themeloop[dask]'")
    from themeloop.compute.clusters import kubernetes_spec

    spec = kubernetes_spec("survey-2026", image="registry.example/themeloop:0.1", workers=16,
                           cpu="4", memory="6Gi")
    assert spec["kind"] == "DaskCluster" and spec["metadata"]["name"] == "survey-2026"
    worker = spec["spec"]["worker"]
    assert worker["replicas"] == 16
    (container,) = worker["spec"]["containers"]
    assert container["image"] == "registry.example/themeloop:0.1"
    assert container["args"][:3] == ["dask-worker", "--nthreads", "1"]
    assert container["resources"]["limits"] == {"cpu": "4", "memory": "6Gi"}
    assert container["resources"]["requests"] == {"cpu": "4", "memory": "6Gi"}
    assert {"name": "OMP_NUM_THREADS", "value": "4"} in container["env"]
    scheduler = spec["spec"]["scheduler"]["spec"]["containers"][0]
    assert scheduler["image"] == "registry.example/themeloop:0.1"


def _die(batch: list[int]) -> list[int]:
    os._exit(3)


def test_a_task_that_kills_workers_fails_with_one_line_and_no_result(cluster):
    """Runs last: it kills workers of the shared cluster (their nannies restart them)."""
    scheduler = cluster._cluster.scheduler  # the LocalCluster's scheduler runs in this process
    allowed, scheduler.allowed_failures = scheduler.allowed_failures, 0
    got: list[list[int]] = []
    try:
        with pytest.raises(ComputeError) as err:
            got.extend(cluster.map_batches(_die, [1, 2, 3], 1))
    finally:
        scheduler.allowed_failures = allowed
    assert got == []
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("Dask workers kept dying while running a task (")
    assert message.endswith("the run stopped and wrote nothing; check the workers' memory and logs")
    _wait_for_workers(cluster, 2)
    assert cluster.n_workers() == 2
