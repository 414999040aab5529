"""Byte-identical reruns: strip the clock from files whose formats record it.

A run manifest lists every output's sha256, so the same inputs must give the
same bytes. XLSX stores creation times (in ``docProps/core.xml`` and in every
zip entry), SPSS and Stata store the time the file was written in their
headers; each is set to a fixed moment (2000-01-01 00:00 UTC).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

FIXED_ZIP_TIME = (2000, 1, 1, 0, 0, 0)
_W3CDTF = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")
_SAV_STAMP = slice(92, 109)  # creation date (9 bytes) and time (8) in the SAV file header
_DTA_STAMP = b"<timestamp>\x1101 Jan 2000 00:00</timestamp>"


def stable_xlsx(path: Path) -> None:
    """Rewrite the workbook with fixed document and zip entry times."""
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in entries:
            if info.filename == "docProps/core.xml":
                data = _W3CDTF.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            target.writestr(fixed, data)


def stable_sav(path: Path) -> None:
    """Set the SAV header's creation date and time to ``01 Jan 00`` ``00:00:00``."""
    with open(path, "r+b") as fh:
        head = fh.read(_SAV_STAMP.stop)
        if head[:4] in (b"$FL2", b"$FL3") and len(head) == _SAV_STAMP.stop:
            fh.seek(_SAV_STAMP.start)
            fh.write(b"01 Jan 0000:00:00")


def stable_dta(path: Path) -> None:
    """Set the DTA header's timestamp (formats 117-119) to ``01 Jan 2000 00:00``."""
    with open(path, "r+b") as fh:
        head = fh.read(512)
        start = head.find(b"<timestamp>")
        end = head.find(b"</timestamp>", start)
        if start >= 0 and end - start == len(_DTA_STAMP) - len(b"</timestamp>"):
            fh.seek(start)
            fh.write(_DTA_STAMP)
