"""The stage registry, the run context and partial runs (`run --from`, `run --only`, `stages`)."""

from __future__ import annotations

import pandas as pd
import pytest
from test_run import copy_sample, digests

from themeloop.config import find_project
from themeloop.pipeline.artifacts import AGREED, ALL, RESPONSES
from themeloop.pipeline.context import RunContext
from themeloop.pipeline.registry import STAGES, stage_names

pytestmark = pytest.mark.slow

NAMES = ["load", "privacy", "themes", "annotations", "agreement", "adjudicate", "autocode", "merge",
         "crosstab", "qdpx", "ledger", "report"]


def counting_reader(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count every read of a survey file (the one reader every loader goes through)."""
    import themeloop.survey.model as model

    calls: list[str] = []
    real = model.read_survey_file

    def reader(path, **kwargs):
        calls.append(str(path))
        return real(path, **kwargs)

    monkeypatch.setattr(model, "read_survey_file", reader)
    return calls


@pytest.fixture(scope="module")
def full_run(repo_root, tmp_path_factory):
    """One whole run on a copy of the sample, counting how often the survey is read."""
    from themeloop.pipeline.run import run_project

    project = copy_sample(repo_root, tmp_path_factory.mktemp("full"))
    with pytest.MonkeyPatch.context() as patch:
        reads = counting_reader(patch)
        result = run_project(find_project(project))
    return project, result, reads


def test_the_survey_is_read_once_per_run(full_run):
    project, result, reads = full_run
    assert reads == [str(project / "survey.csv")]
    assert list(result.seconds) == NAMES


def test_every_output_key_is_an_artifact(full_run):
    _, result, _ = full_run
    keys = {a.key for a in ALL}
    for key in result.outputs:
        assert key.split("[")[0] in keys, key
    assert result.outputs["coded[csv]"].name == "coded.csv"
    assert result.outputs["crosstab.csv[org_type]"].name == "crosstab_org_type.csv"


def test_responses_are_read_back_from_the_run_folder(full_run, monkeypatch):
    project, _, _ = full_run
    proj = find_project(project)
    expected = RunContext.for_project(proj).survey.responses()
    reads = counting_reader(monkeypatch)
    ctx = RunContext.for_project(proj)
    assert ctx.path(RESPONSES).is_file()
    pd.testing.assert_frame_equal(ctx.responses, expected)
    assert reads == []  # from responses.parquet, not from the survey


def test_stale_responses_are_rebuilt(full_run, tmp_path):
    import shutil

    project, _, _ = full_run
    copy = tmp_path / "copy"
    shutil.copytree(project.parent.parent, copy)
    survey = copy / "examples" / "innovation-survey" / "survey.csv"
    survey.write_text(survey.read_text(encoding="utf-8").replace("ORG01,", "ORG0X,", 1),
                      encoding="utf-8")
    ctx = RunContext.for_project(find_project(survey.parent))
    assert "ORG0X:barriers" in set(ctx.responses["response_id"])


def test_stages_lists_the_stages_in_order(cli):
    result = cli("stages")
    assert result.exit_code == 0, result.output
    assert stage_names() == NAMES == [s.name for s in STAGES]
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines if not line.startswith(" ")] == [
        f"{i}. {name}" for i, name in enumerate(NAMES, 1)]
    merge = lines.index(next(line for line in lines if line.startswith("8. merge")))
    assert lines[merge + 1] == "   needs: agreed.csv"
    assert lines[merge + 2] == "   writes: coded.<format>, merge_report.json, merge.manifest.json"


def test_only_reruns_one_stage_from_what_the_run_wrote(full_run, cli, monkeypatch):
    project, _, _ = full_run
    out = project / "out"
    before = digests(out)
    (out / "coded.csv").unlink()
    reads = counting_reader(monkeypatch)
    result = cli("run", "--project", project, "--only", "merge")
    assert result.exit_code == 0, result.output
    assert "stages: merge " in result.stdout and "themes" not in result.stdout
    after = digests(out)
    assert after["coded.csv"] == before["coded.csv"]
    assert {k for k in after if after[k] != before[k]} == {"manifest.json"}
    assert len(reads) == 1


def test_from_reruns_the_rest_of_the_loop(full_run, cli):
    import json

    project, _, _ = full_run
    out = project / "out"
    before = digests(out)
    result = cli("run", "--project", project, "--from", "adjudicate")
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stdout.splitlines() if x.startswith("stages: "))
    assert [part.split()[0] for part in line[8:].split(", ")] == NAMES[5:]
    after = digests(out)
    assert {k for k in after if after[k] != before[k]} == {"manifest.json"}
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["command"] == "run --from adjudicate"
    assert "out/agreed.csv" in manifest["outputs"] and "out/themes.json" not in manifest["outputs"]


def test_a_stage_whose_input_is_missing_says_which_stage_writes_it(tmp_path, repo_root, cli):
    project = copy_sample(repo_root, tmp_path)
    result = cli("run", "--project", project, "--only", "merge")
    assert result.exit_code == 2
    agreed = AGREED.path(project / "out")
    assert result.stderr == (f"Error: {agreed}: stage 'merge' needs it and stage 'adjudicate' "
                             "writes it; run 'themeloop run --from adjudicate'\n")


def test_an_unknown_stage_is_a_one_line_error(tmp_path, repo_root, cli):
    project = copy_sample(repo_root, tmp_path)
    result = cli("run", "--project", project, "--from", "merg")
    assert result.exit_code == 2
    assert result.stderr == ("Error: --from: unknown stage 'merg' (did you mean 'merge'?); "
                             f"stages are: {', '.join(NAMES)}\n")
    both = cli("run", "--project", project, "--from", "merge", "--only", "report")
    assert both.exit_code == 2
    assert both.stderr == "Error: --from and --only do not go together; give one of them\n"


@pytest.mark.parametrize(("command", "module", "function", "stage"), [
    (["merge"], "themeloop.merge.project", "merge_project", "merge"),
    (["crosstab"], "themeloop.merge.project", "crosstab_project", "crosstab"),
    (["adjudicate"], "themeloop.adjudicate.project", "adjudicate_project", "adjudicate"),
    (["agreement"], "themeloop.agreement.stage", "agreement_project", "agreement"),
    (["report"], "themeloop.report.inputs", "report_project", "report"),
])
def test_a_command_and_its_stage_call_the_same_function(command, module, function, stage,
                                                        tmp_path, repo_root, cli, monkeypatch):
    import importlib

    from themeloop.pipeline.registry import get_stage

    calls: list[str] = []

    class Stop(Exception):
        pass

    def recorder(ctx, *args, **kwargs):
        assert isinstance(ctx, RunContext)
        calls.append(function)
        raise Stop

    monkeypatch.setattr(importlib.import_module(module), function, recorder)
    project = copy_sample(repo_root, tmp_path)
    cli(*command, "--project", project)
    assert calls == [function]
    with pytest.raises(Stop):
        get_stage(stage).run(RunContext.for_project(find_project(project)))
    assert calls == [function, function]
