"""`themeloop report`: the command's contract (output, manifest, exact errors)."""

from __future__ import annotations

import json

from test_report_fixtures import make_project


def test_report_writes_page_and_manifest_identically_twice(cli, tmp_path):
    root = make_project(tmp_path / "proj")
    result = cli("report", "--project", root, "--by", "org_type")
    assert result.exit_code == 0, result.output
    page = root / "out" / "report.html"
    assert result.stdout.strip() == f"wrote {page}"
    manifest = json.loads((root / "out" / "report.manifest.json").read_text(encoding="utf-8"))
    assert manifest["command"] == "report"
    assert manifest["config"] == {"by": "org_type", "suppress_below": 5}
    assert set(manifest["inputs"]) >= {"survey", "codebook", "agreed", "agreement",
                                       "agreement_model", "themes", "coding_table"}
    events = (root / "annotations" / "ledger.jsonl").read_text(encoding="utf-8").splitlines()
    assert manifest["ledger"] == {"path": "annotations/ledger.jsonl", "events": len(events),
                                  "head": json.loads(events[-1])["hash"], "keyed": False}
    assert manifest["outputs"] == {"out/report.html": manifest["outputs"]["out/report.html"]}
    first = page.read_bytes(), (root / "out" / "report.manifest.json").read_bytes()
    assert cli("report", "--project", root, "--by", "org_type").exit_code == 0
    assert (page.read_bytes(), (root / "out" / "report.manifest.json").read_bytes()) == first


def test_report_out_folder(cli, tmp_path):
    root = make_project(tmp_path / "proj")
    result = cli("report", "--project", root, "--out", tmp_path / "elsewhere")
    assert result.exit_code == 0, result.output
    html = (tmp_path / "elsewhere" / "report.html").read_text(encoding="utf-8")
    # results are read from the project's out/ when --out holds none of them
    assert "Lack of funding" in html and "Agreement between coders" in html
    assert "0123456789abcdef" in html  # and so are the other commands' manifests


def test_unknown_attribute(cli, tmp_path):
    root = make_project(tmp_path / "proj")
    result = cli("report", "--project", root, "--by", "org_tpye")
    assert result.exit_code == 2
    assert result.stderr == ("Error: --by 'org_tpye' is not a column of the survey (did you "
                             "mean 'org_type'?); attributes are: org_type\n")
    assert not (root / "out" / "report.html").exists()


def test_no_project(cli, tmp_path):
    result = cli("report", "--project", tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: no themeloop.toml in {tmp_path.resolve()} or above")


def test_help(cli):
    result = cli("report", "--help")
    assert result.exit_code == 0
    assert "Write report.html" in result.output
    assert "--by" in result.output and "--out" in result.output


def test_same_bytes_under_different_hash_seeds(tmp_path):
    """Nothing depends on set or dict order that Python randomises per process."""
    import os
    import subprocess
    import sys

    root = make_project(tmp_path / "proj")
    pages = []
    for seed in ("1", "2"):
        out = tmp_path / f"out{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([sys.executable, "-m", "themeloop", "report", "--project",
                              str(root), "--out", str(out)], env=env, capture_output=True,
                             text=True, timeout=300, check=False)
        assert run.returncode == 0, run.stderr
        pages.append((out / "report.html").read_bytes())
    assert pages[0] == pages[1]


def test_a_manifest_that_hashes_the_report_is_not_an_input(cli, tmp_path):
    """themeloop run's manifest.json lists report.html: reading it back would never converge."""
    root = make_project(tmp_path / "proj")
    assert cli("report", "--project", root).exit_code == 0
    page = root / "out" / "report.html"
    first = page.read_bytes()
    run_manifest = {"command": "run", "manifest_id": "feedfacecafebeef",
                    "outputs": {"out/report.html": "0" * 64}}
    (root / "out" / "manifest.json").write_text(json.dumps(run_manifest), encoding="utf-8")
    assert cli("report", "--project", root).exit_code == 0
    assert page.read_bytes() == first
