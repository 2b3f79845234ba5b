"""Request and response shapes of the planner's JSON API (they make the OpenAPI schema useful)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from mixscope.errors import MAX_AMOUNT
from mixscope.serve.scenarios import MAX_COMPARED, MAX_NAME_LENGTH, MIN_COMPARED, check_compared, check_name


class Interval(BaseModel):
    """A posterior summary: mean, median and the 90% equal-tailed interval ``[low, high]``."""

    mean: float
    median: float
    ci_90: list[float] = Field(min_length=2, max_length=2)


# Requests are read strictly: a number must be a finite JSON number ("150000", true and NaN are refused with
# a 422 naming the field), a flag a JSON boolean, a list a list. Nothing is coerced into what it is not.
STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
Amount = Annotated[float, Field(le=MAX_AMOUNT)]  # currency: above MAX_AMOUNT is a typo or a probe


class SpendRequest(BaseModel):
    """A plan: spend per channel over the reference window; channels left out keep current spend."""

    model_config = STRICT | ConfigDict(json_schema_extra={"examples": [{"spend": {"tv": 150000}}]})
    spend: dict[str, Amount] = Field(default_factory=dict)


_ORGANIC_INPUT = ("Scenario input, never budget: each organic channel's volume as a multiple of its "
                  "reference-window volume (1 = as it was; 0 to 3).")
_TREATMENT_INPUT = ("Scenario input, never budget: each treatment's level, in its column's units, held in "
                    "every reference period.")


class EvaluateRequest(SpendRequest):
    """A plan, and whether to answer it from every posterior draw rather than the live subset."""

    all_draws: bool = Field(False, description="Answer from all draws_total draws (as planning does), "
                            "not the --live-draws subset: slower, and the same numbers as the optimiser's.")
    organic: dict[str, float] = Field(default_factory=dict, description=_ORGANIC_INPUT)
    treatments: dict[str, float] = Field(default_factory=dict, description=_TREATMENT_INPUT)


class ChannelOutcome(BaseModel):
    contribution: Interval
    roi: Interval | None = Field(description="None where the plan spends nothing on the channel.")


class Extrapolation(BaseModel):
    """How far a plan takes one channel past the media levels the data showed."""

    peak_ratio: float = Field(description="The plan's strongest week over the highest media level in the "
                                          "data (above 1: past anything observed).")
    share_beyond: float = Field(description="Share of the plan's weeks above that level (0-1).")


class EvaluateResponse(BaseModel):
    """Outcome of a plan vs the current (historical) plan, from the stored surface."""

    spend: dict[str, float]
    total_spend: float
    outcome: Interval
    revenue: Interval
    baseline_plan_outcome: Interval
    difference: Interval
    prob_beats_baseline_plan: float
    channels: dict[str, ChannelOutcome]
    marginal_roi: dict[str, Interval]
    extrapolation: dict[str, Extrapolation] = Field(description="Per channel: how far past the data it goes.")
    units: dict[str, str]
    draws_used: int = Field(description="Posterior draws this answer comes from (serve --live-draws).")
    draws_total: int = Field(description="Posterior draws in the surface.")
    scenario_inputs: dict[str, Any] | None = Field(
        None, description="Only when the request sets organic or treatments: each input's level and the "
        "outcome change it makes (90% interval).")


class ChannelMeta(BaseModel):
    name: str
    current: float = Field(description="Spend over the reference window.")
    max: float = Field(description="Largest spend the surface can score.")
    trust_limit: float = Field(description="Highest spend the data supports (weekly peak × weeks).")


class MetaResponse(BaseModel):
    """What the page needs to draw itself: channels, current plan, units, run health."""

    kpi: str
    kpi_type: str
    channels: list[ChannelMeta]
    current_total: float
    current_outcome: Interval
    reference: dict[str, Any]
    units: dict[str, str]
    n_draws: int
    live_draws: int = Field(description="Draws what-if answers come from; planning uses all n_draws.")
    diagnostics_ok: bool
    warnings: list[str]
    budget_levels: list[float]
    currency: str | None = Field(None, description="The spec's [data] currency (symbol or ISO code).")
    scenario_inputs: dict[str, Any] = Field(
        default_factory=dict, description="The organic media (volume multiple 0 to max_multiple) and "
        "treatments (reference level, observed range) /api/evaluate accepts as scenario inputs.")
    extrapolation_note: float = Field(description="A plan whose peak_ratio reaches this is marked as "
                                      "going past the data.")


class ConstraintsRequest(BaseModel):
    """Planning constraints; amounts are currency over the reference window."""

    model_config = STRICT
    budget: float | None = Field(None, description="Total spend; None keeps the current total.", gt=0,
                                 le=MAX_AMOUNT)
    minimum: dict[str, Amount] = Field(default_factory=dict)
    maximum: dict[str, Amount] = Field(default_factory=dict)
    max_change: float | None = Field(None, description="Keep channels within ± this fraction.", ge=0)
    locked: list[str] = Field(default_factory=list, description="Channels kept at current spend.")
    trust_region: bool = Field(True, description="Stay within the spend levels the data showed.")
    objective: str = Field("mean", description="mean (the default: expected outcome), mean-sd:1 (less one "
                           "sd of the gain), quantile:0.1 or prob-beats-current.")
    min_confidence: float = Field(0.8, ge=0, lt=1, description="Keep the current mix unless the best plan "
                                  "beats it with this probability (0 always moves).")
    tolerance: float = Field(0.01, gt=0, lt=1, description="Near-optimal: within this share of the best.")


class NextDollar(BaseModel):
    to: str
    from_: str = Field(alias="from")
    gain_per_dollar: float
    prob_to_beats_from: float


class MarginalResponse(BaseModel):
    marginal_roi: dict[str, Interval]
    next_dollar: NextDollar | None = None


class NearOptimalResponse(BaseModel):
    allocation: dict[str, float]
    tolerance: float
    ranges: dict[str, dict[str, float]]
    alternatives: list[dict[str, Any]]
    sentences: list[str]


class FrontierPoint(BaseModel):
    budget_level: float
    total_spend: float
    feasible: bool
    outcome_mean: float | None = None
    outcome_q05: float | None = None
    outcome_q95: float | None = None
    roi_mean: float | None = None
    marginal_roi_mean: float | None = None
    crosses_target: bool = False
    allocation: dict[str, float] | None = None


class FrontierResponse(BaseModel):
    points: list[FrontierPoint]
    current: dict[str, float]


class NarrativeResponse(BaseModel):
    available: bool
    reason: str | None = None
    story: dict[str, Any] | None = None
    plan_constraints: dict[str, Any] | None = Field(
        None, description="The constraints the story's recommended plan was optimised under.")


class CurvePoint(BaseModel):
    spend: float
    outcome: float = Field(description="Mean incremental KPI from the channel at this spend.")


class ChannelCurve(BaseModel):
    name: str
    spend: list[float] = Field(description="Spend over the reference window: the curve's x axis.")
    mean: list[float]
    q05: list[float]
    q95: list[float]
    current: CurvePoint
    observed_max: CurvePoint | None = Field(description="The largest spend the data showed (None: past the "
                                            "curve's end).")


class CurvesResponse(BaseModel):
    channels: list[ChannelCurve]
    draws: int
    units: dict[str, str]


class AskBody(BaseModel):
    """A planner's question in plain language (data: it is never executed or shown as markup)."""

    model_config = STRICT | ConfigDict(json_schema_extra={"examples": [
        {"question": "what if we cut tv by 20% and move it to search?"}]})
    question: str = Field(min_length=1, max_length=300)


class AskResponse(BaseModel):
    """The request the question was read as, the surface's answer, and whether its numbers verified."""

    question: str
    request: dict[str, Any] = Field(
        description="kind (whatif, compare, plan, frontier, marginal or none) and its changes or constraints")
    answer: str
    verified: bool | None = Field(description="None: a question outside what ask answers, nothing to verify.")
    backend: str = Field(description="Who read the question: template (rules), llama or http.")
    result: dict[str, Any]
    checks: list[dict[str, Any]]
    attempts: list[str]


class ErrorResponse(BaseModel):
    detail: str


# --------------------------------------------------------------------------- saved scenarios

ScenarioName = Annotated[str, AfterValidator(check_name), Field(
    description=f"The user's name for the plan: 1 to {MAX_NAME_LENGTH} characters, no control characters.")]


class SaveScenarioRequest(BaseModel):
    """A plan to keep under a name; channels left out keep current spend. A name saved before is replaced."""

    model_config = STRICT | ConfigDict(json_schema_extra={"examples": [
        {"name": "brand push", "spend": {"tv": 150000}}]})
    name: ScenarioName
    spend: dict[str, Amount] = Field(default_factory=dict)
    organic: dict[str, float] = Field(default_factory=dict, description=_ORGANIC_INPUT)
    treatments: dict[str, float] = Field(default_factory=dict, description=_TREATMENT_INPUT)


class CompareRequest(BaseModel):
    """Saved scenarios to compare, by name."""

    model_config = STRICT | ConfigDict(json_schema_extra={"examples": [{"names": ["brand push", "lean"]}]})
    names: Annotated[list[str], AfterValidator(check_compared)] = Field(
        description=f"{MIN_COMPARED} to {MAX_COMPARED} distinct saved scenario names.")


class SavedScenario(BaseModel):
    name: str
    spend: dict[str, float] = Field(description="Every channel's spend over the reference window.")
    total_spend: float
    saved_at: str = Field(description="When it was saved (ISO 8601, UTC).")
    organic: dict[str, float] = Field(default_factory=dict, description="The organic volume multiples it "
                                      "was saved with; absent: as they were.")
    treatments: dict[str, float] = Field(default_factory=dict, description="The treatment levels it was "
                                         "saved with; absent: as they were.")


class ScenarioListResponse(BaseModel):
    scenarios: list[SavedScenario]
    max_scenarios: int


class SaveScenarioResponse(BaseModel):
    scenario: SavedScenario
    replaced: bool = Field(description="True when a scenario of this name was saved before and is replaced.")
    message: str


class ComparedScenario(BaseModel):
    name: str
    saved_at: str
    spend: dict[str, float]
    total_spend: float
    outcome: Interval
    difference: Interval = Field(description="Outcome minus the current plan's, draw by draw.")
    prob_beats_baseline_plan: float
    organic: dict[str, float] = Field(description="The organic volume multiples it was evaluated with.")
    treatments: dict[str, float] = Field(description="The treatment levels it was evaluated with.")


class ScenarioPair(BaseModel):
    a: str
    b: str
    prob_a_beats_b: float = Field(description="Share of the posterior draws in which plan a's outcome "
                                  "exceeds plan b's (the same draws for both).")


class CompareResponse(BaseModel):
    """Each scenario as /api/evaluate answers its spend, and P(A beats B) for every ordered pair."""

    scenarios: list[ComparedScenario]
    pairs: list[ScenarioPair]
    units: dict[str, str]
    draws_used: int
    draws_total: int
