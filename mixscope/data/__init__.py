"""Reading, validating and shaping the data a run models.

``load_dataset(spec)`` is the gate: it reads the table, validates it against
the spec and returns a :class:`Dataset` plus the :class:`ValidationReport`,
raising :class:`~mixscope.errors.DataError` when the report has errors.
``calendar`` turns a holiday calendar into indicators per period and ``events``
a categorical column into one indicator per level (with their gate check).
"""

from mixscope.data.build import build_dataset, load_dataset
from mixscope.data.dataset import NATIONAL, Dataset
from mixscope.data.findings import Finding, ValidationReport
from mixscope.data.loading import load_table
from mixscope.data.validation import validate_frame

__all__ = [
    "NATIONAL",
    "Dataset",
    "Finding",
    "ValidationReport",
    "build_dataset",
    "load_dataset",
    "load_table",
    "validate_frame",
]
