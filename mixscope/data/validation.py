"""The data-validation gate: every problem found in one pass, each said plainly.

:func:`validate_frame` never raises on bad data; it returns a
:class:`ValidationReport` whose findings name the column, the data rows (1 is
the first row after the header) and the dates involved, and say what to do.
Errors stop a fit; warnings are worth reading but do not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mixscope.data.calendar import check_holidays
from mixscope.data.columns import ColumnRole, check_columns, column_roles, parse_column
from mixscope.data.dataset import NATIONAL
from mixscope.data.events import check_event_columns
from mixscope.data.findings import (
    MAX_LISTED,
    Finding,
    Level,
    ValidationReport,
    fmt_date,
    fmt_value,
    listing,
    plural,
)
from mixscope.data.reach_frequency import check_reach_frequency
from mixscope.spec import RunSpec
from mixscope.stats import variance_inflation

MIN_WEEKS = 52  # below one year, seasonality and media cannot be told apart
COMFORTABLE_WEEKS = 104  # below two years, seasonality rests mostly on priors
VIF_WARNING = 10.0
VIF_ERROR = 100.0
OUTLIER_Z = 10.0
MEDIATOR_CORRELATION = 0.95  # a control this close to a channel's spend is likely its result
_MAD_TO_SD = 1.4826  # MAD of a normal sample times this estimates its sd
_MIN_OUTLIER_SAMPLE = 8  # a median/MAD from fewer values flags noise, not outliers
_PERIODS = {pd.Timedelta(days=7): "weekly", pd.Timedelta(days=1): "daily"}


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True, eq=False)
class _Table:
    """The frame with each mapped column parsed once; rows are positions 0..n-1."""

    spec: RunSpec
    roles: tuple[ColumnRole, ...]
    raw: pd.DataFrame
    parsed: Mapping[str, pd.Series]

    @property
    def dates(self) -> pd.Series:
        return self.parsed[self.spec.data.date]

    @property
    def is_geo(self) -> bool:
        return self.spec.data.geo is not None

    @property
    def geos(self) -> pd.Series:
        if self.spec.data.geo is None:
            return pd.Series(NATIONAL, index=self.raw.index, dtype=object)
        return self.parsed[self.spec.data.geo]

    def of_kind(self, *kinds: str) -> list[ColumnRole]:
        return [role for role in self.roles if role.kind in kinds]

    def row_label(self, position: int) -> str:
        date = self.dates.iloc[position]
        text = "?" if pd.isna(date) else fmt_date(date)
        geo = self.geos.iloc[position]
        return f"{geo} {text}" if self.is_geo and not pd.isna(geo) else text


def validate_frame(frame: pd.DataFrame, spec: RunSpec) -> ValidationReport:
    """Check ``frame`` against ``spec`` and return every finding (never raises on bad data).

    If columns the spec names are missing or clash, those are the only findings:
    later checks would only repeat the same cause.
    """
    roles = column_roles(spec)
    findings = check_columns(frame, roles)
    if not findings:
        raw = frame.reset_index(drop=True)
        parsed = {role.column: parse_column(role, raw[role.column]) for role in roles}
        table = _Table(spec, roles, raw, parsed)
        findings = [finding for check in _CHECKS for finding in check(table)]
    return ValidationReport(spec.data.source_label, tuple(findings))


# --------------------------------------------------------------------------- unreadable values

_EMPTY_ADVICE = {
    "date": "Every row needs a date: fill them in or remove those rows.",
    "geo": "Every row needs a geo: fill them in or remove those rows.",
    "spend": "Fill in the values (use 0 for periods with no spend) or remove those periods.",
    "exposure": "Fill in the values (use 0 for periods with no exposure) or remove those periods.",
    "reach": "Fill in the values (use 0 for periods the channel did not run) or remove those periods.",
    "frequency": "Fill in the values (any value where reach is 0) or remove those periods.",
}
_MALFORMED = {
    "date": (
        "non_date", "has values that cannot be read as dates",
        "Write dates as YYYY-MM-DD (ISO 8601): fix or remove those rows.",
    ),
    # Any other numeric kind.
    "number": (
        "non_numeric", "has non-numeric values",
        "Use plain numbers without thousands separators, currency symbols or text: fix the "
        "source data.",
    ),
}


def _unreadable(table: _Table, role: ColumnRole) -> list[Finding]:
    """Empty cells, and cells that do not parse, as (at most) two findings."""
    raw = table.raw[role.column]
    parsed = table.parsed[role.column]
    empty = raw.isna().to_numpy()
    malformed = (parsed.isna() & ~raw.isna()).to_numpy()
    findings = []
    if empty.any():
        advice = _EMPTY_ADVICE.get(
            role.kind, "Fill in the values or remove those rows from the data."
        )
        findings.append(_rows_finding(table, "error", "missing_values", role, empty,
                                      "is empty", advice))
    if malformed.any():
        code, problem, advice = _MALFORMED.get(role.kind, _MALFORMED["number"])
        findings.append(_rows_finding(table, "error", code, role, malformed, problem, advice,
                                      values=raw[malformed]))
    return findings


def _check_numbers(table: _Table) -> list[Finding]:
    return [
        finding
        for role in table.roles
        if role.numeric
        for finding in _unreadable(table, role)
    ]


# --------------------------------------------------------------------------- calendar


def _check_calendar(table: _Table) -> list[Finding]:
    # Each step assumes the previous ones passed; stopping early keeps one
    # cause from being reported five ways.
    findings = [f for role in table.of_kind("date", "geo") for f in _unreadable(table, role)]
    if findings:
        return findings
    findings = _duplicate_periods(table)
    if findings:
        return findings
    period, findings = _infer_period(table)
    if period is None:
        return findings
    findings = _irregular_spacing(table, period)
    if findings:
        return findings
    return [
        *_missing_periods(table, period),
        *_geo_date_mismatch(table),
        *_history(table, period),
    ]


def _date_role(table: _Table) -> ColumnRole:
    return table.of_kind("date")[0]


def _duplicate_periods(table: _Table) -> list[Finding]:
    keys = pd.DataFrame({"geo": table.geos, "date": table.dates})
    repeated = keys.duplicated(keep=False).to_numpy()
    if not repeated.any():
        return []
    advice = (
        "Each period must appear once per geo: remove the duplicate rows or aggregate them "
        "(sum spend and KPI) before loading."
        if table.is_geo else
        "Each period must appear once: remove the duplicate rows or aggregate them (sum spend "
        "and KPI) before loading. If the data has one row per geo and period, name the geo "
        "column with `geo` in [data]."
    )
    return [_rows_finding(
        table, "error", "duplicate_period", _date_role(table), repeated, "repeats a period", advice
    )]


def _steps(table: _Table) -> pd.Series:
    """Days from each row's date to the previous date of its geo (NaN for the first)."""
    order = pd.DataFrame({"geo": table.geos, "date": table.dates}).sort_values(["geo", "date"])
    return order.groupby("geo", sort=False)["date"].diff().reindex(table.raw.index)


def _infer_period(table: _Table) -> tuple[pd.Timedelta | None, list[Finding]]:
    steps = _steps(table).dropna()
    if steps.empty:
        return None, [_history_finding(table, table.dates.nunique(), None)]
    median = steps.median()
    if median in _PERIODS:
        return median, []
    days = median / pd.Timedelta(days=1)
    return None, [Finding(
        "error", "unsupported_frequency",
        f"Dates in column '{table.spec.data.date}' are typically {days:g} days apart; mixscope "
        "models weekly (7 days) or daily (1 day) data. Aggregate the data to one row per week "
        "(all dates on the same weekday) and point the spec at that table.",
        table.spec.data.date,
    )]


def _irregular_spacing(table: _Table, period: pd.Timedelta) -> list[Finding]:
    steps = _steps(table)
    odd = (steps.notna() & (steps % period != pd.Timedelta(0))).to_numpy()
    if not odd.any():
        return []
    days = sorted({f"{step / pd.Timedelta(days=1):g}" for step in steps[odd]}, key=float)
    period_days = f"{period / pd.Timedelta(days=1):g}"
    fix = (
        "Put every date on the same weekday (e.g. the Monday each week starts on): fix those "
        "dates in the source data." if period.days == 7 else
        "Fix those dates in the source data so each is a whole number of days apart."
    )
    return [_rows_finding(
        table, "error", "irregular_spacing", _date_role(table), odd,
        f"breaks the {_PERIODS[period]} spacing", f"These dates come {listing(days)} days "
        f"after the previous date, not a multiple of {period_days}. {fix}",
    )]


def _missing_periods(table: _Table, period: pd.Timedelta) -> list[Finding]:
    # Holes in the union calendar; a geo lacking dates others have is a separate finding.
    dates = pd.DatetimeIndex(table.dates.unique()).sort_values()
    expected = pd.date_range(dates[0], dates[-1], freq=period)
    missing = expected.difference(dates)
    if missing.empty:
        return []
    column = table.spec.data.date
    return [Finding(
        "error", "missing_periods",
        f"Column '{column}' skips {plural(len(missing), 'period')} between "
        f"{fmt_date(dates[0])} and {fmt_date(dates[-1])}: "
        f"{listing([fmt_date(date) for date in missing])} have no rows. Add a row for each "
        "missing period (with zero spend if nothing ran) so the periods are contiguous.",
        column,
    )]


def _geo_date_mismatch(table: _Table) -> list[Finding]:
    if not table.is_geo:
        return []
    frame = pd.DataFrame({"geo": table.geos, "date": table.dates})
    everything = set(frame["date"])
    gaps = {
        geo: sorted(everything - set(dates)) for geo, dates in frame.groupby("geo")["date"]
    }
    parts = [
        f"'{geo}' lacks {listing([fmt_date(d) for d in lacking])}"
        for geo, lacking in sorted(gaps.items()) if lacking
    ]
    if not parts:
        return []
    return [Finding(
        "error", "geo_dates_differ",
        f"Geos in column '{table.spec.data.geo}' do not share the same dates: "
        f"{'; '.join(parts)}. Every geo needs a row for every period: add the missing rows "
        "(with zero spend if nothing ran) or trim all geos to a common date range.",
        table.spec.data.geo,
    )]


def _history(table: _Table, period: pd.Timedelta) -> list[Finding]:
    dates = table.dates.dropna()
    findings = [_history_finding(table, dates.nunique(), period)]
    holdout = table.spec.holdout.periods
    if holdout >= dates.nunique():
        findings.append(Finding(
            "error", "holdout_too_long",
            f"[holdout] periods = {holdout} holds out all {dates.nunique()} periods of data, "
            "leaving nothing to fit: reduce [holdout] periods (a quarter of the data at most "
            "is typical).",
        ))
    return [finding for finding in findings if finding is not None]


def _history_finding(table: _Table, n_periods: int, period: pd.Timedelta | None) -> Finding | None:
    days = 7 if period is None else period.days
    weeks = n_periods * days / 7
    if weeks >= COMFORTABLE_WEEKS:
        return None
    dates = table.dates.dropna()
    span = f"{fmt_date(dates.min())} to {fmt_date(dates.max())}"
    kind = _PERIODS.get(period, "") if period is not None else ""
    size = plural(n_periods, f"{kind} period".strip())
    if days != 7:
        size += f" (about {weeks:.0f} weeks)"
    if weeks < MIN_WEEKS:
        return Finding(
            "error", "short_history",
            f"The data covers only {size}, {span}; mixscope needs at least {MIN_WEEKS} weeks "
            "to separate media effects from seasonality and trend. Add more history (two years "
            "or more is best).",
            table.spec.data.date,
        )
    return Finding(
        "warning", "limited_history",
        f"The data covers {size}, {span}: less than two years, so the model will lean on "
        "priors for seasonality and seasonal and media effects will be less certain. Add more "
        "history if you have it.",
        table.spec.data.date,
    )


# --------------------------------------------------------------------------- values

# kind -> (level, code, whether zero is also bad, advice)
_SIGN_RULES: dict[str, tuple[Level, str, bool, str]] = {
    "spend": (
        "error", "negative_spend", False,
        "Spend must be zero or positive: fix the source data or set those periods to 0.",
    ),
    "exposure": (
        "error", "negative_exposure", False,
        "Exposure must be zero or positive: fix the source data or set those periods to 0.",
    ),
    "organic": (
        "error", "negative_organic", False,
        "Organic media volume must be zero or positive: fix the source data or set those periods to 0.",
    ),
    "kpi": (
        "warning", "negative_kpi", False,
        "A KPI is normally zero or positive: check the source data (refunds netted out?) and "
        "fix it if these are mistakes.",
    ),
    "population": (
        "error", "nonpositive_population", True,
        "Population must be positive: fix the source data or remove those geos.",
    ),
    "revenue_per_kpi": (
        "error", "nonpositive_revenue_per_kpi", True,
        "Revenue per KPI unit must be positive: fix the values, or set a constant "
        "`revenue_per_kpi` in [data] instead of a column.",
    ),
}


def _check_signs(table: _Table) -> list[Finding]:
    findings = []
    for role in table.of_kind(*_SIGN_RULES):
        level, code, zero_bad, advice = _SIGN_RULES[role.kind]
        values = table.parsed[role.column]
        bad = ((values <= 0) if zero_bad else (values < 0)).to_numpy()
        if bad.any():
            problem = "has zero or negative values" if zero_bad else "has negative values"
            findings.append(_rows_finding(table, level, code, role, bad, problem, advice,
                                          values=values[bad]))
    return findings


# kind -> advice when the column never varies
_CONSTANT_ADVICE = {
    "control": "so it carries no information: drop it from `controls` in [data].",
    "spend": "so its effect cannot be separated from the baseline: remove the channel from the "
             "spec or fix the source data.",
    "exposure": "so its effect cannot be separated from the baseline: remove `exposure` from the "
                "channel in the spec or fix the source data.",
    "reach": "so its effect cannot be separated from the baseline: fix the source data or drop the channel.",
    "organic": "so its effect cannot be separated from the baseline: remove its [organic.NAME] section "
               "or fix the source data.",
    "kpi": "so there is nothing to explain: check that `kpi` in [data] names the right column "
           "and fix the source data.",
}


def _check_constant(table: _Table) -> list[Finding]:
    findings = []
    for role in table.of_kind(*_CONSTANT_ADVICE):
        values = table.parsed[role.column].dropna()
        if values.nunique() != 1:
            continue  # varies, or nothing readable (already reported)
        value = values.iloc[0]
        if role.kind in ("spend", "exposure", "reach") and value == 0:
            code, problem = f"zero_{role.kind}", "is zero in every row"
            advice = ("so the channel has no variation to learn from: remove the channel from "
                      "the spec or fix the source data.")
        else:
            code = f"constant_{role.kind}"
            problem = f"never varies (always {fmt_value(value)})"
            advice = _CONSTANT_ADVICE[role.kind]
        findings.append(Finding(
            "error", code, f"Column '{role.column}' ({role.what}) {problem}, {advice}", role.column
        ))
    return findings


def _check_population(table: _Table) -> list[Finding]:
    roles = table.of_kind("population")
    if not roles:
        return []
    role = roles[0]
    values = table.parsed[role.column]
    first = values.groupby(table.geos).transform("first")
    changed = (values.notna() & first.notna() & (values != first)).to_numpy()
    if not changed.any():
        return []
    geos = sorted(set(table.geos[changed]))
    return [_rows_finding(
        table, "warning", "population_varies", role, changed,
        f"changes within {plural(len(geos), 'geo', show=False)} {listing(geos)}",
        "mixscope uses each geo's first value; make population constant per geo if that is "
        "not the value to use.",
        values=values[changed],
    )]


def _check_kpi_units(table: _Table) -> list[Finding]:
    data = table.spec.data
    if data.kpi_type != "conversions" or data.revenue_per_kpi is not None:
        return []
    return [Finding(
        "warning", "roi_in_kpi_units",
        f"The KPI '{data.kpi}' is conversions and no revenue_per_kpi is set, so ROI will be "
        "reported in conversions per currency unit, not revenue per currency unit. Add "
        "`revenue_per_kpi` to [data] (a number, or a column name) to get ROI in revenue.",
        data.kpi,
    )]


# --------------------------------------------------------------------------- collinearity


def _check_collinearity(table: _Table) -> list[Finding]:
    roles = [role for role in table.of_kind("spend")
             if table.parsed[role.column].dropna().nunique() > 1]
    if len(roles) < 2:
        return []
    matrix = np.column_stack([table.parsed[role.column].to_numpy() for role in roles])
    matrix = matrix[np.isfinite(matrix).all(axis=1)]
    if len(matrix) <= len(roles) + 1:
        return []
    vif = variance_inflation(matrix)
    flagged = np.flatnonzero(vif > VIF_WARNING)
    if flagged.size == 0:
        return []
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = np.corrcoef(matrix, rowvar=False)
    np.fill_diagonal(correlation, 0.0)
    parts = []
    for j in flagged[np.argsort(-vif[flagged])]:
        partner = int(np.argmax(np.abs(correlation[j])))
        parts.append(
            f"'{roles[j].column}' ({roles[j].what}, VIF {_fmt_vif(vif[j])}, most correlated "
            f"with '{roles[partner].column}', r = {correlation[j, partner]:.2f})"
        )
    pooled = " (pooled over geos)" if table.is_geo else ""
    top = roles[int(flagged[np.argmax(vif[flagged])])].column
    if vif.max() > VIF_ERROR:
        return [Finding(
            "error", "collinear_spend",
            f"Spend columns are collinear{pooled}: {'; '.join(parts)}. The model cannot tell "
            "these channels' effects apart: merge them into one channel or drop one of them "
            "from the spec.",
            top,
        )]
    return [Finding(
        "warning", "correlated_spend",
        f"Spend columns are strongly correlated{pooled} (VIF above {VIF_WARNING:g}): "
        f"{'; '.join(parts)}. Their effects will be estimated with wide, entangled "
        "uncertainty: consider merging them, or set informative roi_prior values for them.",
        top,
    )]


def _check_control_tracks_spend(table: _Table) -> list[Finding]:
    """A control nearly collinear with a channel's spend: likely a mediator, not a cause."""
    findings = []
    pooled = " (pooled over geos)" if table.is_geo else ""
    for channel in table.spec.channels:
        spend = table.parsed[channel.spend]
        for control in table.spec.data.controls:
            both = pd.DataFrame({"s": spend, "c": table.parsed[control]}).dropna()
            if len(both) < 3 or both.nunique().min() < 2:
                continue  # too few or constant values: reported elsewhere
            r = float(np.corrcoef(both["s"], both["c"])[0, 1])
            if abs(r) < MEDIATOR_CORRELATION:
                continue
            findings.append(Finding(
                "warning", "control_tracks_spend",
                f"Control '{control}' moves with '{channel.spend}' (spend of channel "
                f"'{channel.name}'){pooled}, r = {r:.2f}: it is likely a result of that spend "
                "(clicks or visits it bought), and as a control it takes part of the channel's "
                "effect from the channel. If it measures the channel's delivery, make it "
                f"`exposure` in [channels.{channel.name}]; otherwise remove it from `controls` "
                "in [data].",
                control,
            ))
    return findings


# --------------------------------------------------------------------------- outliers


def _robust_outliers(values: pd.Series, groups: pd.Series) -> np.ndarray:
    """Mask of values more than ``OUTLIER_Z`` robust sds from their group's median."""
    flags = np.zeros(len(values), dtype=bool)
    for _, group in values.dropna().groupby(groups[values.notna()]):
        median = group.median()
        mad = (group - median).abs().median()
        if len(group) < _MIN_OUTLIER_SAMPLE or mad == 0:
            continue
        z = (group - median).abs() / (_MAD_TO_SD * mad)
        flags[values.index.get_indexer(group.index[z > OUTLIER_Z])] = True
    return flags


def _check_outliers(table: _Table) -> list[Finding]:
    findings = []
    for role in table.of_kind("kpi", "spend"):
        values = table.parsed[role.column]
        # Zero-spend weeks are normal (flighting); judge spend by its active weeks.
        sample = values.where(values != 0) if role.kind == "spend" else values
        extreme = _robust_outliers(sample, table.geos)
        if extreme.any():
            scope = "its geo's" if table.is_geo else "the column's"
            base = " non-zero" if role.kind == "spend" else ""
            findings.append(_rows_finding(
                table, "warning", "outlier", role, extreme,
                f"has extreme values (more than {OUTLIER_Z:g} robust standard deviations from "
                f"{scope}{base} median)",
                "Check the source data: fix typos; if the values are real (a promotion, an "
                "outage), add a control column that flags those periods.",
                values=values[extreme],
            ))
    return findings


_CHECKS: tuple[Callable[[_Table], list[Finding]], ...] = (
    _check_calendar,
    _check_numbers,
    _check_signs,
    _check_constant,
    _check_population,
    lambda table: check_reach_frequency(table, _rows_finding),
    _check_collinearity,
    _check_control_tracks_spend,
    _check_outliers,
    _check_kpi_units,
    lambda table: check_holidays(table.spec.data.holidays, table.geos),
    lambda table: check_event_columns(table.raw, [role.column for role in table.of_kind("event")]),
)


# --------------------------------------------------------------------------- wording


def _rows_finding(
    table: _Table,
    level: Level,
    code: str,
    role: ColumnRole,
    mask: np.ndarray,
    problem: str,
    advice: str,
    values: pd.Series | None = None,
) -> Finding:
    """A finding about specific rows of one column, worded the same way everywhere."""
    positions = np.flatnonzero(mask)
    shown = positions[:MAX_LISTED]
    noun = "row" if len(positions) == 1 else "rows"
    labels = [table.row_label(int(p)) for p in shown]
    context = f" ({', '.join(labels)})" if any(label != "?" for label in labels) else ""
    more = f" and {len(positions) - len(shown)} more" if len(positions) > len(shown) else ""
    listed = f" {noun} {', '.join(str(p + 1) for p in shown)}{context}{more}"
    value_text = ""
    if values is not None:
        # Distinct values only: forty rows of 0 say no more than one 0.
        distinct = [fmt_value(value) for value in pd.unique(values.to_numpy(dtype=object))]
        noun = "value" if len(distinct) == 1 else "values"
        value_text = f"; {noun} {listing(distinct)}"
    return Finding(
        level, code,
        f"Column '{role.column}' ({role.what}) {problem} in{listed}{value_text}. {advice}",
        role.column,
        tuple(int(p) + 1 for p in positions),
    )


def _fmt_vif(value: float) -> str:
    return "infinite (exact linear combination)" if not np.isfinite(value) else f"{value:.0f}"
