"""Lift-test experiments: reading, validating and storing them.

An experiment says: over the periods ``start..end`` (inclusive; periods whose
start date falls in that range), the channel's spend was changed by
``spend_delta`` (negative for a holdout or cut) relative to what would have
run, and that caused ``incremental_kpi`` in the KPI's own units (carryover
included), measured with ``standard_error``. A confidence interval
(``ci_lower``, ``ci_upper``; 95% unless ``ci_level`` says otherwise) may stand in
for the standard error. ``geo`` restricts a test to one geo of a geo model.

The observed data must already contain the test (the spend it shows is the
spend that ran); the counterfactual is the data's spend minus ``spend_delta``.

Experiments come as a CSV with one row per test, or a TOML file with one
``[[experiment]]`` table per test. Every problem is collected in one pass and
reported with its row and field and what to do, like the data gate.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from mixscope.data.dataset import NATIONAL, Dataset
from mixscope.errors import DataError, did_you_mean

REQUIRED = ("channel", "start", "end", "spend_delta", "incremental_kpi")
OPTIONAL = ("standard_error", "geo", "ci_lower", "ci_upper", "ci_level", "name")
NUMERIC = ("spend_delta", "incremental_kpi", "standard_error", "ci_lower", "ci_upper", "ci_level")
DEFAULT_CI_LEVEL = 0.95  # experiment reports usually quote 95% intervals
STORED_COLUMNS = (
    "channel", "start", "end", "spend_delta", "incremental_kpi", "standard_error", "geo", "name",
)


class ExperimentError(DataError):
    """The experiments file is unreadable or an experiment in it is invalid."""


@dataclass(frozen=True)
class Experiment:
    """One lift test, validated against a dataset.

    Attributes:
        channel: the tested channel (a spec channel name).
        start, end: first and last period of the test window (inclusive), as
            ``datetime64[D]``; the window is the periods whose date lies in between.
        spend_delta: change in the channel's spend over the window, currency
            (negative for a holdout or cut).
        incremental_kpi: measured change in the KPI it caused, KPI units, carryover included.
        standard_error: of ``incremental_kpi``, same units, positive.
        geo: the geo tested, or ``None`` for all geos (national data: always ``None``).
        row: the experiment's position in its file (1 = first data row), for messages.
        name: an optional label.
    """

    channel: str
    start: np.datetime64
    end: np.datetime64
    spend_delta: float
    incremental_kpi: float
    standard_error: float
    geo: str | None = None
    row: int = 0
    name: str = ""

    @property
    def label(self) -> str:
        """How messages and reports name this experiment."""
        where = f" in {self.geo}" if self.geo else ""
        what = f"{self.name}: " if self.name else ""
        return f"{what}{self.channel}{where} {self.start}..{self.end}"

    def periods(self, dataset: Dataset) -> np.ndarray:
        """``(time,)`` True for the periods inside the window."""
        dates = dataset.dates.astype("datetime64[D]")
        return (dates >= self.start) & (dates <= self.end)

    def geo_mask(self, dataset: Dataset) -> np.ndarray:
        """``(geo,)`` True for the geos the test ran in."""
        if self.geo is None:
            return np.ones(dataset.n_geos, dtype=bool)
        return np.array([geo == self.geo for geo in dataset.geos])

    def to_row(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "start": str(self.start),
            "end": str(self.end),
            "spend_delta": self.spend_delta,
            "incremental_kpi": self.incremental_kpi,
            "standard_error": self.standard_error,
            "geo": self.geo or "",
            "name": self.name,
        }


# --------------------------------------------------------------------------- reading


def load_experiments(path: str | Path, dataset: Dataset) -> tuple[Experiment, ...]:
    """Read a CSV or TOML experiments file and validate it against ``dataset``."""
    path = Path(path)
    return parse_experiments(read_experiments(path), dataset, source=str(path), toml=_is_toml(path))


def read_experiments(path: str | Path) -> pd.DataFrame:
    """The raw experiments table (all values as read; validation comes later)."""
    path = Path(path)
    if not path.is_file():
        raise ExperimentError(
            f"Experiments file {path} does not exist. Check the path given to --experiments "
            "or [calibration] experiments (it is relative to the spec file)."
        )
    if _is_toml(path):
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ExperimentError(f"{path} is not valid UTF-8 TOML ({error}); fix the syntax.") from None
        unknown = [key for key in raw if key != "experiment"]
        entries = raw.get("experiment", [])
        if unknown or not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
            raise ExperimentError(
                f"{path}: write one [[experiment]] table per test (keys {', '.join(REQUIRED)}, "
                f"standard_error, optional geo); found top-level key(s) {', '.join(unknown) or 'none'}."
            )
        return pd.DataFrame([{key: _toml_value(value) for key, value in e.items()} for e in entries])
    try:
        # Everything as text: numbers are parsed per cell so a bad cell is named, not guessed.
        return pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise ExperimentError(
            f"{path} is empty; write a header row ({','.join(REQUIRED)},standard_error) and one "
            "row per experiment."
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise ExperimentError(f"{path} is not a readable CSV ({error}); fix or re-export it.") from None


def _is_toml(path: Path) -> bool:
    return path.suffix.lower() == ".toml"


def _toml_value(value: Any) -> Any:
    # TOML dates arrive as datetime.date; validation reads them as text like CSV cells.
    return value.isoformat() if hasattr(value, "isoformat") else value


# --------------------------------------------------------------------------- validation


def parse_experiments(
    frame: pd.DataFrame, dataset: Dataset, source: str = "experiments", toml: bool = False
) -> tuple[Experiment, ...]:
    """Validate a raw experiments table against the dataset.

    Raises :class:`ExperimentError` listing every problem found (one paragraph
    each, naming the row and field and saying what to do).
    """
    frame = frame.rename(columns=lambda name: str(name).strip())
    _check_columns(frame, source)
    if frame.empty:
        raise ExperimentError(f"{source} has no experiments; add one row per lift test.")
    problems: list[str] = []
    experiments: list[Experiment] = []
    for index, record in enumerate(frame.to_dict("records")):
        where = f"{source}, {'experiment' if toml else 'row'} {index + 1}"
        parsed = _parse_row(record, index + 1, where, dataset, problems)
        if parsed is not None:
            experiments.append(parsed)
    problems += _overlaps(experiments, source, toml)
    if problems:
        raise ExperimentError("\n\n".join(problems))
    return tuple(experiments)


def _check_columns(frame: pd.DataFrame, source: str) -> None:
    allowed = REQUIRED + OPTIONAL
    for column in frame.columns:
        if column not in allowed:
            hint = did_you_mean(column, allowed, "`")
            raise ExperimentError(
                f"{source}: unknown column `{column}`.{hint} Rename or drop it; allowed columns are "
                f"{', '.join(allowed)}."
            )
    missing = [column for column in REQUIRED if column not in frame.columns]
    has_ci = {"ci_lower", "ci_upper"} <= set(frame.columns)
    if "standard_error" not in frame.columns and not has_ci:
        missing.append("standard_error (or ci_lower and ci_upper)")
    if missing:
        raise ExperimentError(
            f"{source} lacks column(s) {', '.join(missing)}; add them (one row per test with "
            f"{', '.join(REQUIRED)}, standard_error)."
        )


def _parse_row(
    record: Mapping[str, Any], row: int, where: str, dataset: Dataset, problems: list[str]
) -> Experiment | None:
    start_problems = len(problems)
    channel = _text(record.get("channel"))
    if not channel:
        problems.append(
            f"{where}: `channel` is empty; name the tested channel ({', '.join(dataset.channels)})."
        )
    elif channel not in dataset.channels:
        hint = did_you_mean(channel, dataset.channels, "`")
        problems.append(
            f"{where}: channel `{channel}` is not in the spec.{hint} Fix the name; channels are "
            f"{', '.join(dataset.channels)}."
        )
    geo = _parse_geo(_text(record.get("geo")), where, dataset, problems)
    invalid: set[str] = set()  # fields already reported as unreadable
    values = {key: _number(record.get(key), key, where, problems, invalid) for key in NUMERIC}
    start = _date(record.get("start"), "start", where, problems)
    end = _date(record.get("end"), "end", where, problems)
    for key in ("spend_delta", "incremental_kpi"):
        if values[key] is None and key not in invalid:
            problems.append(f"{where}: `{key}` is missing; fill it in.")
    if values["spend_delta"] == 0:
        problems.append(
            f"{where}: `spend_delta` is 0, so the test changed nothing the model can compare; "
            "set the spend change over the window (negative for a holdout) or drop the row."
        )
    se = _standard_error(values, where, problems, invalid)
    if start is not None and end is not None:
        _check_window(start, end, where, dataset, problems)
    if len(problems) > start_problems:
        return None
    experiment = Experiment(
        channel=channel,
        start=start,
        end=end,
        spend_delta=float(values["spend_delta"]),
        incremental_kpi=float(values["incremental_kpi"]),
        standard_error=se,
        geo=geo,
        row=row,
        name=_text(record.get("name")),
    )
    _check_counterfactual(experiment, where, dataset, problems)
    return experiment if len(problems) == start_problems else None


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _number(value: Any, key: str, where: str, problems: list[str], invalid: set[str]) -> float | None:
    """A finite float, ``None`` when blank; a non-numeric or infinite cell is a problem."""
    text = _text(value)
    if not text:
        return None
    invalid.add(key)  # until proven a number
    if isinstance(value, bool):
        problems.append(f"{where}: `{key}` = {value!r} is not a number; write a number.")
        return None
    try:
        number = float(text.replace(",", "")) if isinstance(value, str) else float(value)
    except ValueError:
        problems.append(f"{where}: `{key}` = {text!r} is not a number; write a plain number like 1234.5.")
        return None
    if not math.isfinite(number):
        problems.append(f"{where}: `{key}` = {text!r} is not finite; write a finite number.")
        return None
    invalid.discard(key)
    return number


def _date(value: Any, key: str, where: str, problems: list[str]) -> np.datetime64 | None:
    text = _text(value)
    if not text:
        problems.append(f"{where}: `{key}` is missing; write the date as YYYY-MM-DD.")
        return None
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError):
        stamp = pd.NaT
    if pd.isna(stamp):
        problems.append(f"{where}: `{key}` = {text!r} is not a date; write it as YYYY-MM-DD.")
        return None
    return np.datetime64(stamp.date(), "D")


def _parse_geo(geo: str, where: str, dataset: Dataset, problems: list[str]) -> str | None:
    if not geo:
        return None
    if not dataset.is_geo:
        if geo == NATIONAL:
            return None
        problems.append(
            f"{where}: geo `{geo}` given but the data is national; leave `geo` empty for national tests."
        )
        return None
    if geo not in dataset.geos:
        hint = did_you_mean(geo, dataset.geos, "`")
        problems.append(
            f"{where}: geo `{geo}` is not in the data.{hint} Fix the name, or leave it empty for a "
            "test across all geos."
        )
        return None
    return geo


def _standard_error(
    values: Mapping[str, float | None], where: str, problems: list[str], invalid: set[str]
) -> float:
    se = values["standard_error"]
    if se is not None:
        if se <= 0:
            problems.append(
                f"{where}: `standard_error` = {se:g} must be positive; write the measurement's "
                "standard error (or give ci_lower and ci_upper instead)."
            )
        return float(se)
    lower, upper, level = values["ci_lower"], values["ci_upper"], values["ci_level"]
    if lower is None or upper is None:
        if not invalid & {"standard_error", "ci_lower", "ci_upper"}:
            problems.append(
                f"{where}: no `standard_error` and no complete interval; fill in standard_error, "
                "or both ci_lower and ci_upper."
            )
        return 0.0
    level = DEFAULT_CI_LEVEL if level is None else level
    if not 0 < level < 1:
        problems.append(f"{where}: `ci_level` = {level:g} must be between 0 and 1 (e.g. 0.95); fix it.")
        return 0.0
    if upper <= lower:
        problems.append(
            f"{where}: ci_upper ({upper:g}) is not above ci_lower ({lower:g}); fix the interval, which "
            "must have positive width."
        )
        return 0.0
    # A symmetric normal interval: half-width = z * se.
    return float((upper - lower) / (2 * stats.norm.ppf(0.5 + level / 2)))


def _check_window(
    start: np.datetime64, end: np.datetime64, where: str, dataset: Dataset, problems: list[str]
) -> None:
    dates = dataset.dates.astype("datetime64[D]")
    step = dates[1] - dates[0] if len(dates) > 1 else np.timedelta64(7, "D")
    first, last = dates[0], dates[-1] + step - np.timedelta64(1, "D")
    if end < start:
        problems.append(f"{where}: `end` {end} is before `start` {start}; swap or fix the dates.")
    elif start < first or end > last:
        problems.append(
            f"{where}: the window {start}..{end} lies (partly) outside the data, which covers "
            f"{first}..{last}; fix the dates or drop the experiment (the model can only compare "
            "against periods it sees)."
        )
    elif not ((dates >= start) & (dates <= end)).any():
        problems.append(
            f"{where}: the window {start}..{end} contains no period start (periods start on "
            f"{', '.join(str(d) for d in dates[:2])}, ...); widen it to whole periods."
        )


def _check_counterfactual(experiment: Experiment, where: str, dataset: Dataset, problems: list[str]) -> None:
    """A spend increase cannot exceed the spend the data shows in the window."""
    if experiment.spend_delta <= 0:
        return
    c = dataset.channels.index(experiment.channel)
    spent = float(
        dataset.spend[experiment.geo_mask(dataset)][:, experiment.periods(dataset), c].sum()
    )
    if experiment.spend_delta > spent * (1 + 1e-9):
        problems.append(
            f"{where}: spend_delta {experiment.spend_delta:,.2f} is more than the {spent:,.2f} the "
            f"data shows for {experiment.channel} in that window; the data must contain the test's "
            "spend. Fix spend_delta or the window."
        )


def _overlaps(experiments: Sequence[Experiment], source: str, toml: bool) -> list[str]:
    """Two tests of one channel in overlapping windows and geos would count one change twice."""
    noun = "experiments" if toml else "rows"
    problems = []
    for i, first in enumerate(experiments):
        for second in experiments[i + 1 :]:
            same_place = first.geo is None or second.geo is None or first.geo == second.geo
            if (
                first.channel == second.channel
                and same_place
                and first.start <= second.end
                and second.start <= first.end
            ):
                problems.append(
                    f"{source}: {noun} {first.row} and {second.row} both test {first.channel} "
                    f"in overlapping windows ({first.start}..{first.end} and {second.start}.."
                    f"{second.end}); merge them into one experiment or drop one."
                )
    return problems


# --------------------------------------------------------------------------- storing


def experiments_frame(experiments: Sequence[Experiment]) -> pd.DataFrame:
    """The table :func:`parse_experiments` reads back to the same experiments."""
    return pd.DataFrame([e.to_row() for e in experiments], columns=list(STORED_COLUMNS))
