"""The validated, array-shaped dataset every model consumes.

Arrays are ``(geo, time, channel)``; national data is a single geo named
``"national"``. Nothing here is scaled: scaling belongs to the model.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

NATIONAL = "national"


@dataclass(frozen=True, eq=False)
class Dataset:
    """Model-ready arrays built from a validated table.

    Attributes:
        dates: ``(time,)`` datetime64 period starts, sorted and regular.
        geos: geo labels, ``("national",)`` for national data.
        channels: channel names in spec order.
        control_names: control column names in spec order.
        kpi: ``(geo, time)`` KPI in its own units (revenue or conversions).
        spend: ``(geo, time, channel)`` spend in currency.
        media: ``(geo, time, channel)`` the media input to transforms: the reach column of
            a reach & frequency channel, the exposure column where the spec names one,
            otherwise the spend.
        controls: ``(geo, time, control)`` raw control values.
        revenue_per_kpi: ``(geo, time)`` currency per KPI unit (ones for revenue KPIs).
        population: ``(geo,)`` population, or ``None`` when not given.
        kpi_type: ``"revenue"`` or ``"conversions"``.
        frame: the long table the arrays came from, one row per geo and period, under
            the original column names (so it can be stored and rebuilt with the same spec).
        organic_names: organic media names in spec order (no spend: mixscope.model.organic).
        organic: ``(geo, time, organic)`` organic media volumes.
        term_columns: the event and treatment columns (:mod:`mixscope.model.terms` reads them
            from ``frame``); part of :meth:`content_hash`.
        rf_names: reach & frequency channel names in spec order (mixscope.model.reach_frequency).
        frequency: ``(geo, time, rf_channel)`` their average frequency (their reach is in ``media``).
        calendar_digest: SHA-256 of the spec's ``holidays_file``, ``None`` without one; part of
            :meth:`content_hash`, so a run fitted on an older calendar is not taken as current.
    """

    dates: np.ndarray
    geos: tuple[str, ...]
    channels: tuple[str, ...]
    control_names: tuple[str, ...]
    kpi: np.ndarray
    spend: np.ndarray
    media: np.ndarray
    controls: np.ndarray
    revenue_per_kpi: np.ndarray
    population: np.ndarray | None
    kpi_type: str
    frame: pd.DataFrame
    organic_names: tuple[str, ...] = ()
    organic: np.ndarray | None = None
    term_columns: tuple[str, ...] = ()
    rf_names: tuple[str, ...] = ()
    frequency: np.ndarray | None = None
    calendar_digest: str | None = None

    @property
    def n_geos(self) -> int:
        return len(self.geos)

    @property
    def n_times(self) -> int:
        return len(self.dates)

    @property
    def n_channels(self) -> int:
        return len(self.channels)

    @property
    def is_geo(self) -> bool:
        return self.n_geos > 1

    def content_hash(self) -> str:
        """SHA-256 over the arrays and labels: the identity of the data a run saw."""
        digest = hashlib.sha256()
        for label in (self.geos, self.channels, self.control_names, (self.kpi_type,)):
            digest.update(repr(label).encode())
        for array in (
            self.dates.astype("datetime64[D]").astype(np.int64),
            self.kpi, self.spend, self.media, self.controls, self.revenue_per_kpi,
        ):
            digest.update(np.ascontiguousarray(array, dtype=np.float64).tobytes())
        if self.population is not None:
            digest.update(np.ascontiguousarray(self.population, dtype=np.float64).tobytes())
        if self.organic_names:  # only then, so data without organic media keeps its hash
            digest.update(repr(self.organic_names).encode())
            digest.update(np.ascontiguousarray(self.organic, dtype=np.float64).tobytes())
        if self.term_columns:  # only then, so data without events or treatments keeps its hash
            digest.update(repr(self.term_columns).encode())
            for column in self.term_columns:
                # Events are labels, treatments numbers: the repr of the values is exact for both.
                digest.update(repr(self.frame[column].tolist()).encode())
        if self.rf_names:  # only then, so data without reach & frequency keeps its hash
            digest.update(repr(self.rf_names).encode())
            digest.update(np.ascontiguousarray(self.frequency, dtype=np.float64).tobytes())
        if self.calendar_digest is not None:  # only then, so data without a holidays file keeps its hash
            digest.update(f"holidays_file:{self.calendar_digest}".encode())
        return digest.hexdigest()
