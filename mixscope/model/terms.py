"""Non-media terms of the baseline: holidays, events and treatments, each with its own coefficients.

Each kind is a :class:`TermBlock`: a design ``(geo or 1, time, term)`` and a Normal prior
per term on its coefficient (scaled KPI per unit of the design). The model adds
``design @ coefficient`` to the baseline (:func:`mixscope.model.mmm.baseline`) and
samples one site per kind (``holiday_coef``, ``event_coef``, ``treatment_coef``), so
summary and report show each term's contribution rather than folding it into the
baseline. With no term configured there is no block and no site: the model is exactly
the one without them.

Treatments enter centred on the level the user names (``baseline`` in
``[treatments.NAME]``): the design is ``(level - baseline) / unit``, so the term *is*
the contribution measured against that level, as Meridian reports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from mixscope import metrics
from mixscope.data.calendar import geo_holiday_indicators, holiday_indicators
from mixscope.data.dataset import Dataset
from mixscope.data.events import event_indicators
from mixscope.spec import RunSpec
from mixscope.spec_terms import TreatmentSpec

if TYPE_CHECKING:
    from jax import Array

# Scaled KPI units (the KPI's mean is one): a holiday or event moving the KPI by 40% is
# within two prior sds; most move it by a few percent.
INDICATOR_PRIOR_SD = 0.2
# Per standard deviation of the treatment's level: as wide as the controls' prior.
TREATMENT_PRIOR_SD = 0.3
TERM_SITES = {"holiday": "holiday_coef", "event": "event_coef", "treatment": "treatment_coef"}
SUMMARY_KEYS = {"holiday": "holidays", "event": "events", "treatment": "treatments"}


@dataclass(frozen=True, eq=False)
class TermBlock:
    """One kind of non-media term, as model arrays.

    Attributes:
        kind: ``"holiday"``, ``"event"`` or ``"treatment"``; its site is :data:`TERM_SITES` of it.
        names: one per term (``"Christmas Day"``, ``"events=event1"``, ``"price"``).
        design: ``(geo or 1, time, term)`` float32.
        prior: ``(term, 2)`` Normal (mean, sd) of each coefficient, scaled KPI units.
        unit: ``(term,)`` column units per design unit (treatments; ones otherwise).
        reference: ``(term,)`` the level a design value of zero stands for (treatments; zeros otherwise).
        centre: ``(term,)`` design value the model centres on (treatments: the data's mean level), or
            ``None`` (indicators, used as they are).
    """

    kind: str
    names: tuple[str, ...]
    design: np.ndarray
    prior: np.ndarray
    unit: np.ndarray
    reference: np.ndarray
    centre: np.ndarray | None = None

    @property
    def site(self) -> str:
        return TERM_SITES[self.kind]

    @property
    def model_design(self) -> np.ndarray:
        """The design the model reads: ``design`` less ``centre``.

        The reference level a user names for reporting (a regular price, no promotion) can sit far
        from the data's levels; a design measured from it would trade its coefficient against the
        intercept (on PyMC-Marketing's mock_cgp_data, references at the min/max left R-hat 1.07 and
        bulk ESS 39 against 1.007 and 1,042 at the mean). Centred, the fit does not depend on the
        reference; contributions against it are ``design @ coefficient`` and the constant
        ``centre @ coefficient`` is the intercept's.
        """
        return self.design if self.centre is None else self.design - self.centre


def build_terms(dataset: Dataset, spec: RunSpec, kpi_scale: np.ndarray) -> tuple[TermBlock, ...]:
    """The spec's holiday, event and treatment blocks for ``dataset`` (empty when it sets none)."""
    blocks = []
    if spec.data.holidays is not None:
        if spec.data.holidays.by_geo:  # each geo on its own calendar: (geo, time, holiday)
            names, design = geo_holiday_indicators(dataset.dates, spec.data.holidays, dataset.geos)
        else:
            names, design = holiday_indicators(dataset.dates, spec.data.holidays)
            design = design[None]
        if names:
            blocks.append(_indicator_block("holiday", names, design))
    if spec.data.events:
        parts = [event_indicators(column, _cube(dataset, column, float_values=False))
                 for column in spec.data.events]
        names = tuple(name for part_names, _ in parts for name in part_names)
        if names:
            blocks.append(_indicator_block("event", names, np.concatenate([d for _, d in parts], axis=-1)))
    if spec.treatments:
        blocks.append(_treatment_block(dataset, spec.treatments, kpi_scale))
    return tuple(blocks)


def _cube(dataset: Dataset, column: str, float_values: bool = True) -> np.ndarray:
    """``(geo, time)`` values of a mapped column (the frame is sorted by geo, then date)."""
    values = dataset.frame[column].to_numpy(dtype=float if float_values else object)
    return values.reshape(dataset.n_geos, dataset.n_times)


def _indicator_block(kind: str, names: tuple[str, ...], design: np.ndarray) -> TermBlock:
    n = len(names)
    prior = np.tile([0.0, INDICATOR_PRIOR_SD], (n, 1))
    design, prior = design.astype(np.float32), prior.astype(np.float32)
    return TermBlock(kind, names, design, prior, np.ones(n), np.zeros(n))


def reference_level(treatment: TreatmentSpec, values: np.ndarray) -> float:
    """The level a treatment's contributions are measured against: a number, or min/mean/max of the data."""
    if isinstance(treatment.baseline, str):
        return float(getattr(np, treatment.baseline)(values))
    return float(treatment.baseline)


def _treatment_block(
    dataset: Dataset, treatments: tuple[TreatmentSpec, ...], kpi_scale: np.ndarray
) -> TermBlock:
    levels = [_cube(dataset, treatment.column) for treatment in treatments]
    reference = np.array([reference_level(t, x) for t, x in zip(treatments, levels, strict=True)])
    unit = np.array([float(x.std()) or 1.0 for x in levels])
    design = np.stack([(x - r) / u for x, r, u in zip(levels, reference, unit, strict=True)], axis=-1)
    # A user's prior is in KPI units per unit of the column; the coefficient is in scaled KPI
    # per design unit. Geos share one coefficient, so the typical geo's KPI scale converts.
    per_coefficient = unit / float(np.mean(kpi_scale))
    prior = np.array([
        [t.prior.mean * k, t.prior.sd * k] if t.prior is not None else [0.0, TREATMENT_PRIOR_SD]
        for t, k in zip(treatments, per_coefficient, strict=True)
    ])
    design = design.astype(np.float32)
    return TermBlock(
        "treatment", tuple(t.name for t in treatments), design, prior.astype(np.float32), unit, reference,
        centre=design.mean(axis=(0, 1), dtype=np.float64).astype(np.float32),
    )


# --------------------------------------------------------------------------- model and evaluation


def sample_terms(blocks: tuple[TermBlock, ...]) -> dict[str, Array]:
    """Sample each block's coefficients (called inside :func:`mixscope.model.mmm.mmm_model`)."""
    import numpyro
    import numpyro.distributions as dist

    return {
        block.site: numpyro.sample(block.site, dist.Normal(block.prior[:, 0], block.prior[:, 1]))
        for block in blocks
    }


def terms_effect(params: Mapping[str, Array], blocks: tuple[TermBlock, ...]) -> Array | float:
    """``(geo or 1, time)`` sum of every block's ``model_design @ coefficient`` (0.0 without blocks)."""
    total: Any = 0.0
    for block in blocks:
        total = total + block.model_design @ params[block.site]
    return total


def with_treatment_levels(
    blocks: tuple[TermBlock, ...], levels: Mapping[str, float]
) -> tuple[TermBlock, ...]:
    """The blocks with the named treatments held at a scenario level in every period (what-if input).

    A treatment is never part of the media budget: a scenario sets its level, and the
    baseline moves by ``effect * (level - reference)``.
    """
    out = []
    for block in blocks:
        if block.kind == "treatment":
            unknown = sorted(set(levels) - set(block.names))
            if unknown:
                raise KeyError(
                    f"no treatment named {', '.join(unknown)}; treatments: {', '.join(block.names)}"
                )
            design = block.design.copy()
            for t, name in enumerate(block.names):
                if name in levels:
                    design[..., t] = (float(levels[name]) - block.reference[t]) / block.unit[t]
            block = replace(block, design=design)
        out.append(block)
    return tuple(out)


def treatment_scenario(
    blocks: tuple[TermBlock, ...], draws: Mapping[str, np.ndarray], kpi_scale: np.ndarray,
    levels: Mapping[str, float],
) -> dict[str, np.ndarray]:
    """``{treatment: (draw,)}`` in-window KPI change if each named treatment had been held at its
    scenario level in every period, against what the data show (a what-if input, not budget)."""
    scenario = with_treatment_levels(blocks, levels)
    out = {}
    for before, after in zip(blocks, scenario, strict=True):
        if before.kind == "treatment":
            change = contribution_draws(after, draws, kpi_scale)
            change = change - contribution_draws(before, draws, kpi_scale)
            out |= {name: change[:, k] for k, name in enumerate(before.names) if name in levels}
    return out


def contribution_draws(
    block: TermBlock, draws: Mapping[str, np.ndarray], kpi_scale: np.ndarray
) -> np.ndarray:
    """``(draw, term)`` in-window KPI from each term of ``block``, in KPI units."""
    design = np.broadcast_to(block.design, (len(kpi_scale), *block.design.shape[1:]))
    weight = np.einsum("gtk,g->k", design.astype(np.float64), kpi_scale)
    return np.asarray(draws[block.site], dtype=np.float64) * weight[None, :]


def contribution_mean(
    block: TermBlock, draws: Mapping[str, np.ndarray], kpi_scale: np.ndarray
) -> np.ndarray:
    """``(geo, time, term)`` posterior-mean contribution in KPI units."""
    coefficient = np.asarray(draws[block.site], dtype=np.float64).mean(axis=0)
    return block.design * coefficient * kpi_scale[:, None, None]


def terms_summary(
    blocks: tuple[TermBlock, ...], draws: Mapping[str, np.ndarray], kpi_scale: np.ndarray,
    expected_total: np.ndarray,
) -> dict[str, Any]:
    """``summary.json["non_media"]``: each term's contribution and share with 90% intervals.

    Treatments also give their effect per unit of the column and the reference level
    contributions are measured against.
    """
    out: dict[str, Any] = {}
    for block in blocks:
        contribution = contribution_draws(block, draws, kpi_scale)
        shares = contribution / expected_total[:, None]
        entries = {}
        for k, name in enumerate(block.names):
            entry = {
                "contribution": metrics.interval_summary(contribution[:, k]),
                "share": metrics.interval_summary(shares[:, k]),
            }
            if block.kind == "treatment":
                per_unit = np.asarray(draws[block.site])[:, k] * float(np.mean(kpi_scale)) / block.unit[k]
                entry["effect_per_unit"] = metrics.interval_summary(per_unit)
                entry["reference_level"] = float(block.reference[k])
            entries[name] = entry
        out[SUMMARY_KEYS[block.kind]] = entries
    return out


def summary_section(
    blocks: tuple[TermBlock, ...], draws: Mapping[str, np.ndarray], kpi_scale: np.ndarray,
    expected: np.ndarray,
) -> dict[str, Any]:
    """``{"non_media": ...}`` (:func:`terms_summary`) for ``summary.json``; {} without terms.

    ``expected`` is the ``(draw, geo, time)`` expected KPI the shares are of.
    """
    if not blocks:
        return {}
    return {"non_media": terms_summary(blocks, draws, kpi_scale, expected.sum(axis=(1, 2)))}


def term_columns(
    blocks: tuple[TermBlock, ...], draws: Mapping[str, np.ndarray], kpi_scale: np.ndarray
) -> dict[str, np.ndarray]:
    """Predictions-frame columns ``{kind}_{name}``: posterior-mean contribution per geo and period."""
    return {
        f"{block.kind}_{name}": contribution_mean(block, draws, kpi_scale)[..., k].ravel()
        for block in blocks for k, name in enumerate(block.names)
    }


def term_coords(blocks: tuple[TermBlock, ...]) -> dict[str, list[str]]:
    """ArviZ coordinates of the term sites: dim ``kind`` → term names."""
    return {block.kind: list(block.names) for block in blocks}
