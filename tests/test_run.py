"""`themeloop run`: the whole loop on the bundled survey, reproducible to the byte."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

EXPECTED = {
    "themes.json", "assignments.csv", "codebook.yaml", "themes.manifest.json",
    "agreement.json", "agreement_notes.json", "agreement_model.json", "disagreements.csv",
    "agreement.manifest.json", "agreed.csv", "adjudication_decisions.csv", "undecided.csv",
    "adjudicate.manifest.json", "model_coding.csv", "model_crossfit.csv", "review.csv",
    "model_bias.json", "autocode.manifest.json", "coded.csv", "coded.xlsx", "coded.sav", "coded.dta",
    "coded.parquet", "merge_report.json", "merge.manifest.json", "crosstab_org_type.csv",
    "crosstab_org_type.xlsx", "crosstab_org_type__INTERNAL_unsuppressed.csv",
    "crosstab_org_type.manifest.json", "report.html", "report.manifest.json", "manifest.json",
}


def copy_sample(repo: Path, dest: Path) -> Path:
    """The sample project and its annotations, in the same relative layout as the repo."""
    shutil.copytree(repo / "examples" / "innovation-survey", dest / "examples" / "innovation-survey",
                    ignore=shutil.ignore_patterns("out", "models", ".themeloop"))
    shutil.copytree(repo / "annotations" / "innovation-survey",
                    dest / "annotations" / "innovation-survey",
                    ignore=shutil.ignore_patterns("ledger.jsonl", "raw"))
    return dest / "examples" / "innovation-survey"


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def two_runs(repo_root, tmp_path_factory):
    from typer.testing import CliRunner

    from themeloop.cli.app import app

    runs = []
    for name in ("first", "second"):
        project = copy_sample(repo_root, tmp_path_factory.mktemp(name))
        result = CliRunner().invoke(app, ["run", "--project", str(project)])
        assert result.exit_code == 0, result.output
        runs.append((project, result))
    return runs


def test_run_writes_every_output(two_runs):
    project, result = two_runs[0]
    out = project / "out"
    assert EXPECTED <= {p.name for p in out.iterdir()}
    assert f"Manifest: {out / 'manifest.json'}" in result.stdout
    assert "stages: load" in result.stdout and "report" in result.stdout


def test_two_runs_are_byte_identical(two_runs):
    (first, _), (second, _) = two_runs
    a, b = digests(first / "out"), digests(second / "out")
    assert a.keys() == b.keys()
    assert [name for name in a if a[name] != b[name]] == []


def test_the_model_is_judged_against_each_coder_on_the_sample(two_runs):
    """The autocode stage on the bundled survey: cross-fitted on every coded answer."""
    import pandas as pd

    project, result = two_runs[0]
    out = project / "out"
    data = json.loads((out / "agreement_model.json").read_text())
    assert data["floor"] == 0.667 and data["model_id"].startswith("autocoder-")
    coders = {"amira.khan@example.org", "ben.osei@example.org"}
    crossfit = pd.read_csv(out / "model_crossfit.csv", dtype=str, keep_default_na=False)
    applied = pd.read_csv(out / "model_coding.csv", dtype=str, keep_default_na=False)
    for qid, n_coded in (("barriers", 40), ("practice", 39), ("radical", 39)):
        q = data["questions"][qid]
        assert (q["mode"], q["n_coded"]) == ("supervised", n_coded)
        # Both coders coded every substantive answer of the sample: nothing left to the model.
        assert (q["n_model_coded"], q["n_review"]) == (0, 0)
        assert q["human_human"]["masi_alpha"] > 0.8
        mh = q["model_human"]
        lo, hi = mh["masi_alpha_ci95"]
        assert -1 <= lo <= mh["masi_alpha"] <= hi <= 1 and set(mh["by_coder"]) == coders
        assert q["learning_curve"][0]["n"] == 0 and q["learning_curve"][-1]["n"] == n_coded
        assert q["human_only"] == [c for c, v in mh["per_code"].items() if v["human_only"]]
        assert all(v["reason"] for v in mh["per_code"].values() if v["human_only"])
        assert crossfit[crossfit["question"] == qid]["response_id"].nunique() == n_coded
    assert applied.empty
    assert "autocode barriers: supervised on 40 coded answers" in result.stdout
    bias = json.loads((out / "model_bias.json").read_text())
    for qid in ("barriers", "practice", "radical"):
        tested = {t["attribute"] for t in bias["questions"][qid]["tests"]}
        assert tested == {"org_type", "innovation_level", "dedicated_innovation_resources",
                          "invests_game_changing", "encourage_radical"}


def test_manifest_describes_the_run(two_runs, repo_root):
    project, _ = two_runs[0]
    out = project / "out"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"] == "run"
    survey = project / "survey.csv"
    assert manifest["inputs"]["survey"]["sha256"] == hashlib.sha256(survey.read_bytes()).hexdigest()
    assert set(manifest["inputs"]) == {"survey", "config", "codebook", "coding_table"}
    assert manifest["config"]["seed"] == 42 and manifest["config"]["survey"]["id"] == "org_id"
    assert manifest["seeds"] == {"themes": 42, "bootstrap": 42, "crosstab_monte_carlo": 42}
    assert manifest["codebook_version"] == "1.0"
    model = json.loads((repo_root / "models" / "all-MiniLM-L6-v2.json").read_text())
    assert manifest["model"]["checksum"] == model["checksum_sha256"]
    for package in ("themeloop", "torch", "bertopic", "pandas", "krippendorff"):
        assert manifest["versions"][package]
    outputs = manifest["outputs"]
    for name in EXPECTED - {"manifest.json"}:
        assert outputs[f"out/{name}"] == hashlib.sha256((out / name).read_bytes()).hexdigest()
    from themeloop.audit.ledger import Ledger

    ledger = Ledger(project.parent.parent / "annotations" / "innovation-survey" / "ledger.jsonl")
    n_events, head = ledger.tip()
    assert manifest["ledger"] == {"path": "../../annotations/innovation-survey/ledger.jsonl",
                                  "events": n_events, "head": head, "keyed": True}


def test_ledger_records_the_run_and_verifies(two_runs, cli):
    from themeloop.audit.project import project_ledger
    from themeloop.config import find_project

    project, _ = two_runs[0]
    ledger = project_ledger(find_project(project))
    result = ledger.verify()
    assert result.ok and result.signed
    assert [a.source for a in result.anchors] == [str(project / "out" / "manifest.json")]
    verified = cli("audit", "verify", "--project", project)
    assert verified.exit_code == 0, verified.output
    assert verified.stdout.endswith(f"signed; matches 1 recorded head(s), the newest at event "
                                    f"{result.n_events} in {project / 'out' / 'manifest.json'}\n")
    actions = {e["action"] for e in ledger.events()}
    assert {"suggested", "added", "decided"} <= actions
    result = cli("audit", "explain", "ORG07:barriers", "--project", project)
    assert result.exit_code == 0, result.output
    assert "amira.khan@example.org" in result.stdout and "chloe.reid@example.org" in result.stdout


def test_rerun_in_place_appends_nothing_and_changes_nothing(two_runs, cli):
    from themeloop.audit.ledger import Ledger

    project, _ = two_runs[0]
    ledger = Ledger(project.parent.parent / "annotations" / "innovation-survey" / "ledger.jsonl")
    before_events, before_files = len(ledger.events()), digests(project / "out")
    result = cli("run", "--project", project)
    assert result.exit_code == 0, result.output
    assert len(ledger.events()) == before_events
    assert digests(project / "out") == before_files


def test_run_stops_cleanly_without_a_coding_table(tmp_path, repo_root, cli):
    project = copy_sample(repo_root, tmp_path)
    table = tmp_path / "annotations" / "innovation-survey" / "coding_table.csv"
    table.unlink()
    result = cli("run", "--project", project)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {table}: no coding table; code the answers in Label Studio and run 'themeloop pull'\n")


def test_codes_a_pull_recorded_are_not_recorded_again(tmp_path, repo_root, cli):
    """`themeloop pull` records human codes; the run must not add them a second time."""
    import pandas as pd

    from themeloop.audit.ledger import record_coding_diff
    from themeloop.audit.project import project_ledger
    from themeloop.config import find_project

    project = copy_sample(repo_root, tmp_path)
    annotations = tmp_path / "annotations" / "innovation-survey"
    ledger = project_ledger(find_project(project))
    table = pd.read_csv(annotations / "coding_table.csv", dtype=str, keep_default_na=False)
    pulled = record_coding_diff(ledger, None, table, "pull-manifest", "1.0")
    assert pulled
    result = cli("run", "--project", project)
    assert result.exit_code == 0, result.output
    added = [(e["response_id"], e["code"], e["actor"]) for e in ledger.events()
             if e["action"] == "added"]
    assert len(added) == len(set(added)) == len(pulled)
    assert ledger.verify().ok


def test_run_refuses_to_append_to_a_tampered_ledger(two_runs, tmp_path, cli):
    """A forged event (its hash recomputed, but no key to sign it) stops the run: exit 2, one line."""
    from themeloop.audit.ledger import event_hash, event_id

    first, _ = two_runs[0]
    shutil.copytree(first.parent.parent, tmp_path / "copy")  # the project, its key and ledger
    project = tmp_path / "copy" / "examples" / "innovation-survey"
    path = tmp_path / "copy" / "annotations" / "innovation-survey" / "ledger.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    last = json.loads(lines[-1])
    forged = {k: v for k, v in last.items() if k != "mac"}
    forged.update(code="forged", seq=last["seq"] + 1, prev_hash=last["hash"])
    forged["event_id"] = event_id(forged)
    forged["hash"] = event_hash(forged)
    path.write_text("\n".join([*lines, json.dumps(forged)]) + "\n", encoding="utf-8")
    before = path.read_bytes()
    def stamps() -> dict[str, tuple[int, int]]:  # an atomic rewrite gives a new inode
        return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns)
                for p in (project / "out").iterdir() if p.is_file()}

    outputs = stamps()
    result = cli("run", "--project", project)
    assert result.exit_code == 2
    n = len(lines) + 1
    assert result.stderr == (
        f"Error: {path} line {n} (seq {n}): no mac: the event was not written with the ledger "
        f"key (it was forged, or the ledger predates signed ledgers: see 'themeloop audit "
        f"sign'); refusing to append to a ledger that fails verification: restore it from a "
        f"backup, then check it with 'themeloop audit verify'\n")
    assert path.read_bytes() == before  # nothing appended, nothing truncated
    # The ledger is checked before the first stage, so no output was rewritten either.
    assert stamps() == outputs
