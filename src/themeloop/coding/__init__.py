"""The coding table: the long interchange format for everything that codes.

See DESIGN.md. :func:`read_coding_table` reads and validates a CSV or Parquet
file; :func:`validate_coding_table` checks a DataFrame already in memory.
"""

from themeloop.coding.convert import assignments_to_coding
from themeloop.coding.table import (
    CODING_COLUMNS,
    OPTIONAL_COLUMNS,
    judged_rows,
    read_coding_table,
    validate_coding_table,
)

__all__ = [
    "CODING_COLUMNS", "OPTIONAL_COLUMNS", "assignments_to_coding", "judged_rows",
    "read_coding_table", "validate_coding_table",
]
