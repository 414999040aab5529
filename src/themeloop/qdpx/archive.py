"""Read a .qdpx zip without trusting it.

Every member name is checked before anything is read: an absolute path, a
drive letter or a ``..`` component is refused, even for members the importer
would not open, because such a file is either broken or hostile. Nothing is
ever extracted to disk; members are read into memory through a byte budget
(:data:`MAX_BYTES` by default) that counts the bytes actually inflated, not the
sizes the zip claims, so a zip bomb stops at the budget.
"""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from themeloop.errors import QdpxError

MAX_BYTES = 512 * 1024 * 1024  # all members read, together
MAX_RATIO = 200  # past 1 MiB, a member inflating more than this is a bomb (text: 3-20x)
_CHUNK = 1 << 16


@dataclass
class QdpxArchive:
    """An opened .qdpx: its checked member names and a decompression budget."""

    path: Path
    zip: zipfile.ZipFile
    max_bytes: int = MAX_BYTES
    read_bytes: int = 0
    names: dict[str, str] = field(default_factory=dict)  # case-folded -> real name

    def close(self) -> None:
        self.zip.close()

    def find(self, name: str) -> str | None:
        """The real member name matching ``name`` case-insensitively (``Sources/`` or ``sources/``)."""
        return self.names.get(name.replace("\\", "/").casefold())

    def project_member(self) -> str:
        """``project.qde`` (any case) at the root, or the archive's only ``.qde``."""
        found = self.find("project.qde")
        if found is not None:
            return found
        qde = [real for folded, real in self.names.items()
               if folded.endswith(".qde") and "/" not in folded]
        if len(qde) == 1:
            return qde[0]
        raise QdpxError(
            f"{self.path}: no project.qde in the archive; a .qdpx holds project.qde and Sources/"
        )

    def read(self, member: str) -> bytes:
        """The bytes of ``member``, counted against the budget.

        Raises
        ------
        QdpxError
            When the member (or all members read so far) inflates past the budget.
        """
        info = self.zip.getinfo(member)
        if info.file_size > self.max_bytes - self.read_bytes:
            raise self._too_big(member, info.file_size)
        parts: list[bytes] = []
        size = 0
        with self.zip.open(info) as fh:
            while True:
                block = fh.read(_CHUNK)
                if not block:
                    break
                size += len(block)
                if self.read_bytes + size > self.max_bytes:
                    raise self._too_big(member, size)
                if size > (1 << 20) and size > MAX_RATIO * max(info.compress_size, 1):
                    raise QdpxError(
                        f"{self.path}: member '{member}' inflates more than {MAX_RATIO} times its "
                        "compressed size (a zip bomb?); refusing to read it"
                    )
                parts.append(block)
        self.read_bytes += size
        return b"".join(parts)

    def _too_big(self, member: str, size: int) -> QdpxError:
        limit = self.max_bytes // (1024 * 1024)
        return QdpxError(
            f"{self.path}: member '{member}' inflates past the {limit} MiB limit on what an "
            f"import reads ({size} bytes or more; a zip bomb?); refusing to read it"
        )


def open_qdpx(path: str | Path, *, max_bytes: int = MAX_BYTES) -> QdpxArchive:
    """Open ``path`` as a .qdpx and check every member name.

    Raises
    ------
    QdpxError
        If the file is missing, is not a zip, or names a member outside the archive.
    """
    path = Path(path)
    if not path.is_file():
        raise QdpxError(f"{path}: no such file; give the .qdpx to import")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise QdpxError(f"{path}: not a .qdpx (zip) file: {exc}") from None
    names: dict[str, str] = {}
    for info in archive.infolist():
        if not _safe_member(info.filename):
            archive.close()
            raise QdpxError(
                f"{path}: zip member '{info.filename}' points outside the archive (absolute path "
                "or '..'); refusing to read the file"
            )
        if not info.is_dir():
            names[info.filename.replace("\\", "/").casefold()] = info.filename
    return QdpxArchive(path, archive, max_bytes=max_bytes, names=names)


def _safe_member(name: str) -> bool:
    """True for a relative member name that stays inside the archive."""
    unified = name.replace("\\", "/")
    if not unified or unified.startswith("/") or (len(unified) > 1 and unified[1] == ":"):
        return False
    if "\x00" in unified:
        return False
    parts = unified.split("/")
    if any(part == ".." for part in parts):
        return False
    return not posixpath.normpath(unified).startswith("..")
