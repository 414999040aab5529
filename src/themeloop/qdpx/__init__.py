"""REFI-QDA exchange: a project as .qdpx for NVivo, ATLAS.ti, MAXQDA and QualCoder, and back.

Public API::

    write_project_qdpx(project, out_dir, layer="all") -> Path     (the stage)
    export_project_qdpx(project, out_dir, layer="all") -> ExportSummary
    write_qdpx(ExportInput(...), path) -> ExportSummary           (no project needed)
    read_qdpx(path, responses=None, codebook=None) -> QdpxImport  (coding table + codebook)
    write_qdc(codebook, path) / read_qdc(path) -> Codebook        (codebook exchange)

See docs/qdpx.md for the layout and its reasons.
"""

from __future__ import annotations

from themeloop.qdpx.export import LAYER_CHOICES, ExportInput, ExportSummary, write_qdpx
from themeloop.qdpx.project import QDPX_NAME, export_project_qdpx, write_project_qdpx

__all__ = [
    "LAYER_CHOICES", "QDPX_NAME", "ExportInput", "ExportSummary", "export_project_qdpx",
    "write_project_qdpx", "write_qdpx",
]
