"""Hostile and broken .qdpx files: each gets one line naming the problem, and exit 2."""

from __future__ import annotations

import zipfile

import pytest

from themeloop.errors import QdpxError
from themeloop.qdpx.importer import read_qdpx

HEAD = b'<?xml version="1.0" encoding="utf-8"?>\n'
GOOD = HEAD + b'<Project xmlns="urn:QDA-XML:project:1.0" name="p"/>'


def _zip(path, members: dict[str, bytes]):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return path


def _error(cli, path) -> str:
    result = cli("import", "qdpx", path, "--out", path.with_suffix(".csv"))
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    return lines[0]


@pytest.mark.parametrize("member", ["../evil.txt", "Sources/../../evil.txt", "/etc/cron.d/x",
                                    "C:/Windows/evil.txt", "..\\evil.txt"])
def test_a_member_outside_the_archive_is_refused(tmp_path, cli, member):
    path = _zip(tmp_path / "escape.qdpx", {"project.qde": GOOD, member: b"x"})
    assert _error(cli, path) == (
        f"Error: {path}: zip member '{member}' points outside the archive (absolute path or "
        "'..'); refusing to read the file")
    assert not (tmp_path.parent / "evil.txt").exists()


def test_a_zip_bomb_stops_at_the_ratio_limit(tmp_path, cli):
    path = _zip(tmp_path / "bomb.qdpx", {"project.qde": GOOD + b" " * (8 << 20)})
    assert _error(cli, path) == (
        f"Error: {path}: member 'project.qde' inflates more than 200 times its compressed "
        "size (a zip bomb?); refusing to read it")


def test_a_zip_bomb_stops_at_the_byte_budget(tmp_path):
    noisy = bytes(range(256)) * 8192  # 2 MiB that barely compresses: only the budget stops it
    path = _zip(tmp_path / "big.qdpx", {"project.qde": GOOD + b"<!--" + noisy + b"-->"})
    with pytest.raises(QdpxError) as info:
        read_qdpx(path, max_bytes=1 << 20)
    assert str(info.value) == (
        f"{path}: member 'project.qde' inflates past the 1 MiB limit on what an import reads "
        f"({len(GOOD) + len(noisy) + 7} bytes or more; a zip bomb?); refusing to read it")


BILLION_LAUGHS = HEAD + b"""<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&lol4;"/>"""

XXE = HEAD + b"""<!DOCTYPE p [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&secret;"/>"""


@pytest.mark.parametrize("qde", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "external-entity"])
def test_entities_and_dtds_are_refused(tmp_path, cli, qde):
    path = _zip(tmp_path / "dtd.qdpx", {"project.qde": qde})
    assert _error(cli, path) == (
        f"Error: {path}: project.qde: declares a DTD (<!DOCTYPE ...>); REFI-QDA files have none "
        "and entity declarations are refused (external entities, entity expansion)")


@pytest.mark.parametrize(("qde", "message"), [
    (HEAD + b'<Project xmlns="urn:QDA-XML:project:1.0" name="p">\n<Sources>\n</Project>',
     "project.qde line 4: not well-formed XML: Opening and ending tag mismatch: Sources line 3 "
     "and Project"),
    (HEAD + b'<Project xmlns="urn:QDA-XML:project:1.0" name="p"><CodeBook><Codes>\n'
     b'<Code name="x" isCodable="true"/></Codes></CodeBook></Project>',
     "project.qde line 3: <Code> has no valid guid (got None)"),
    (HEAD + b'<Project xmlns="urn:QDA-XML:project:1.0" name="p"><Sources>\n'
     b'<TextSource guid="11111111-1111-4111-8111-111111111111" name="a">'
     b'<PlainTextContent>hi</PlainTextContent>\n'
     b'<PlainTextSelection guid="11111111-1111-4111-8111-111111111112" startPosition="one" '
     b'endPosition="2"/></TextSource></Sources></Project>',
     "project.qde line 4: <PlainTextSelection> has startPosition='one', not an integer"),
    (HEAD + b'<Project xmlns="urn:QDA-XML:project:1.0" name="p"><Sources>\n'
     b'<TextSource guid="11111111-1111-4111-8111-111111111111" name="a" '
     b'plainTextPath="internal://missing.txt"/></Sources></Project>',
     "project.qde line 3: <TextSource> names plainTextPath 'internal://missing.txt', which is "
     "not in the archive's Sources/ folder"),
    (HEAD + b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"/>',
     "project.qde line 2: the root element is <CodeBook>, not <Project>; is this a REFI-QDA "
     "project?"),
], ids=["malformed", "no-guid", "bad-position", "missing-source-file", "wrong-root"])
def test_a_malformed_file_gets_one_line_naming_the_element_or_line(tmp_path, cli, qde, message):
    path = _zip(tmp_path / "bad.qdpx", {"project.qde": qde})
    assert _error(cli, path) == f"Error: {path}: {message}"


def test_not_a_zip_and_no_project(tmp_path, cli):
    path = tmp_path / "plain.qdpx"
    path.write_text("hello")
    assert _error(cli, path) == f"Error: {path}: not a .qdpx (zip) file: File is not a zip file"
    empty = _zip(tmp_path / "empty.qdpx", {"Sources/a.txt": b"x"})
    assert _error(cli, empty) == (
        f"Error: {empty}: no project.qde in the archive; a .qdpx holds project.qde and Sources/")


def test_a_qdc_with_a_dtd_is_refused(tmp_path, cli):
    path = tmp_path / "c.qdc"
    path.write_bytes(BILLION_LAUGHS.replace(b"Project", b"CodeBook"))
    result = cli("codebook", "import", path, "--out", tmp_path / "cb.yaml")
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {path}: declares a DTD (<!DOCTYPE ...>); REFI-QDA files have none and entity "
        "declarations are refused (external entities, entity expansion)\n")
