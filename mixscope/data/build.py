"""From a validated table to the array-shaped :class:`Dataset` models consume."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mixscope.data.calendar import calendar_file_digest
from mixscope.data.columns import column_roles, parse_column
from mixscope.data.dataset import NATIONAL, Dataset
from mixscope.data.findings import ValidationReport
from mixscope.data.loading import load_table
from mixscope.data.validation import validate_frame
from mixscope.errors import DataError
from mixscope.spec import RunSpec


def build_dataset(frame: pd.DataFrame, spec: RunSpec) -> Dataset:
    """Arrange a table that passed :func:`validate_frame` as ``(geo, time, channel)`` arrays.

    Rows are sorted by geo, then date; national data (no ``geo`` in the spec)
    becomes the single geo ``"national"``. Raises :class:`DataError` if the
    table is not a complete geo-by-period grid, which validation rules out.
    """
    data = spec.data
    roles = column_roles(spec)
    absent = [role.column for role in roles if role.column not in frame.columns]
    if absent:
        raise DataError(
            f"{data.source_label} lacks column(s) {', '.join(absent)}; run validate_frame "
            "first and fix what it reports."
        )
    source = frame.reset_index(drop=True)
    mapped = pd.DataFrame({role.target: parse_column(role, source[role.column]) for role in roles})
    order = ["geo", "date"] if data.geo is not None else ["date"]
    mapped = mapped.sort_values(order, kind="stable").reset_index(drop=True)

    geos = tuple(sorted(mapped["geo"].unique())) if data.geo is not None else (NATIONAL,)
    dates = np.sort(mapped["date"].unique()).astype("datetime64[ns]")
    shape = (len(geos), len(dates))
    grid = mapped["date"].to_numpy().astype("datetime64[ns]")
    if len(mapped) != shape[0] * shape[1] or not (grid.reshape(shape) == dates).all():
        raise DataError(
            f"{data.source_label} is not one row per geo and period; run validate_frame first "
            "and fix what it reports."
        )

    def cube(columns: Sequence[str]) -> np.ndarray:
        values = mapped[list(columns)].to_numpy(dtype=float)
        return values.reshape(*shape, len(columns))

    if isinstance(data.revenue_per_kpi, str):
        revenue_per_kpi = cube([data.revenue_per_kpi])[..., 0]
    else:
        # No revenue_per_kpi: revenue KPIs are already currency; conversions count 1:1
        # (the validation warning tells the user ROI is then in KPI units).
        revenue_per_kpi = np.full(shape, data.revenue_per_kpi or 1.0)
    population = None
    if data.population is not None:
        population = mapped.groupby("geo")[data.population].first().reindex(geos).to_numpy(float)
    return Dataset(
        dates=dates,
        geos=geos,
        channels=spec.channel_names,
        control_names=data.controls,
        kpi=cube(["kpi"])[..., 0],
        spend=cube([channel.spend for channel in spec.channels]),
        media=cube([channel.reach or channel.exposure or channel.spend for channel in spec.channels]),
        controls=cube(data.controls),
        revenue_per_kpi=revenue_per_kpi,
        population=population,
        kpi_type=data.kpi_type,
        # Original column names, so the frame can be stored and rebuilt with the same spec.
        frame=mapped.rename(columns={role.target: role.column for role in roles}),
        organic_names=spec.organic_names,
        organic=cube([organic.column for organic in spec.organic]) if spec.organic else None,
        term_columns=(*data.events, *(treatment.column for treatment in spec.treatments)),
        rf_names=tuple(channel.name for channel in spec.rf_channels),
        frequency=cube([channel.frequency for channel in spec.rf_channels]) if spec.rf_channels else None,
        calendar_digest=calendar_file_digest(data.holidays),
    )


def load_dataset(spec: RunSpec) -> tuple[Dataset, ValidationReport]:
    """Load, validate and build: the gate every fit goes through.

    Raises :class:`DataError` when the data cannot be read or validation finds
    errors; otherwise returns the dataset and the report (which may hold warnings).
    """
    frame = load_table(spec.data)
    report = validate_frame(frame, spec)
    report.raise_for_errors()
    return build_dataset(frame, spec), report
