"""Evidence report and next-test ranking on a small calibrated run (loaded from its directory)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mixscope.calibration.evidence import evidence_report, normal_kl
from mixscope.calibration.next_test import next_test
from mixscope.model.inputs import default_roi_prior


def test_run_directory_keeps_the_experiments(calibrated_run, lift_dataset):
    result, run = calibrated_run
    assert (run.path / "experiments.csv").is_file()
    assert "experiments.csv" in run.manifest["files"]
    assert run.experiments == result.experiments and len(run.experiments) == 2
    assert run.spec.calibration.mode == "likelihood"
    calibration = run.summary["calibration"]
    assert calibration["n_experiments"] == 2
    for row, experiment in zip(calibration["experiments"], run.experiments, strict=True):
        low, high = row["implied_ci_90"]
        assert low < high and np.sign(row["implied_mean"]) == np.sign(experiment.incremental_kpi)
    posterior = run.idata.posterior
    assert posterior["experiment_lift"].shape[2:] == (2,)


def test_evidence_report(calibrated_run):
    _, run = calibrated_run
    report = evidence_report(run)
    assert report.mode == "likelihood"
    by_channel = {c.channel: c for c in report.channels}
    assert set(by_channel) == set(run.summary["channels"])
    prior_mu, prior_sd = default_roi_prior(run.dataset)  # the fixture's channels set no ROI prior
    for channel, evidence in by_channel.items():
        # Normal approximation on log ROI: sd ratio and KL(posterior || prior) in closed form.
        log_roi = np.log(run.idata.posterior["channel_roi"].sel(channel=channel).values.ravel())
        mu, sd = log_roi.mean(), log_roi.std()
        assert evidence.sd_ratio == pytest.approx(sd / prior_sd, rel=1e-4)  # float32 draws
        kl = np.log(prior_sd / sd) + (sd**2 + (mu - prior_mu) ** 2) / (2 * prior_sd**2) - 0.5
        assert evidence.kl == pytest.approx(kl, rel=1e-4)
        assert evidence.posterior_mean == np.float64(run.summary["roi"][channel]["mean"]) or np.isclose(
            evidence.posterior_mean, run.summary["roi"][channel]["mean"], rtol=1e-3
        )
        assert evidence.prior_ci_90[0] < evidence.prior_mean < evidence.prior_ci_90[1]
        # Flags follow the thresholds.
        assert evidence.prior_driven == (evidence.sd_ratio > 0.7 and evidence.kl < 0.3)
        assert evidence.sd_ratio_without_experiments is not None
    assert by_channel["tv"].n_experiments == 1 and by_channel["radio"].n_experiments == 0
    # The experiments can only add information on the tested channels.
    assert by_channel["tv"].sd_ratio <= by_channel["tv"].sd_ratio_without_experiments * 1.05
    json.dumps(report.to_dict())


def test_kl_of_identical_normals_is_zero():
    assert np.isclose(normal_kl(np.array(0.3), np.array(0.5), np.array(0.3), np.array(0.5)), 0.0)
    assert normal_kl(np.array(1.0), np.array(0.1), np.array(0.0), np.array(1.0)) > 1.0


def test_next_test_ranks_channels(calibrated_run):
    _, run = calibrated_run
    report = next_test(run, weeks=6, change=-1.0)
    assert len(report.options) == 5  # all channels spent in the last 6 weeks
    best = report.best
    assert best is not None and best.weeks == 6
    assert best.spend_change < 0 and best.expected_lift < 0
    for option in report.options:
        assert option.evsi >= -1e-6 * max(1.0, abs(option.expected_lift))
        assert 0 <= option.roi_sd_after <= option.roi_sd_now * 1.0001
    evsis = [o.evsi for o in report.options]
    assert evsis == sorted(evsis, reverse=True) or max(evsis) < 1e-6
    text = report.recommendation()
    assert best.channel in text and "6 weeks" in text and f"{best.spend_change:+,.0f}" in text
    json.dumps(report.to_dict())


def test_next_test_precise_test_teaches_more(calibrated_run):
    _, run = calibrated_run
    loose = {o.channel: o for o in next_test(run, weeks=4, standard_error=5e6).options}
    tight = {o.channel: o for o in next_test(run, weeks=4, standard_error=2e4).options}
    for channel in loose:
        assert tight[channel].roi_sd_after < loose[channel].roi_sd_after


def test_evidence_on_uncalibrated_run(calibrated_run, tmp_path):
    """A run without experiments: report still works, no 'without experiments' split."""
    from dataclasses import replace

    from mixscope.run import Run

    _, run = calibrated_run
    plain = Run(run.path, replace(run.spec, calibration=type(run.spec.calibration)()), run.dataset,
                run.idata, run.summary, run.manifest, run.predictions)
    report = evidence_report(plain)
    assert report.mode is None
    assert all(c.sd_ratio_without_experiments is None for c in report.channels)


def test_the_run_says_what_each_test_pins_and_leaves_open(calibrated_run):
    _, run = calibrated_run
    known = run.summary["calibration"]["identification"]
    # The fixture ran tv dark for 6 weeks and search at +50%: one spend level each.
    assert known["tv"]["spend_levels"] == pytest.approx([-1.0])
    assert known["search"]["spend_levels"] == pytest.approx([0.5], abs=0.01)
    assert "radio" not in known  # untested channels pin nothing
    for name in ("tv", "search"):
        assert "A second test at another spend level" in known[name]["leaves_open"]
        roi = run.idata.posterior["channel_roi"].sel(channel=name).values.ravel()
        assert known[name]["roi_cv"] == pytest.approx(roi.std() / roi.mean(), rel=1e-3)
        lift = run.idata.posterior["experiment_lift"].values.reshape(-1, 2)
        k = 0 if name == "tv" else 1
        assert known[name]["lift_cv"] == pytest.approx(lift[:, k].std() / abs(lift[:, k].mean()), rel=1e-3)


def test_next_test_proposes_a_second_spend_level_for_a_tested_channel(calibrated_run):
    _, run = calibrated_run
    options = {o.channel: o for o in next_test(run, weeks=6).options}
    # tv already ran dark: its next test goes the other way (+50%), and says why.
    assert options["tv"].change_fraction == 0.5 and options["tv"].tested_levels == pytest.approx((-1.0,))
    assert options["tv"].spend_change > 0
    # search ran at +50%: going dark is a second level; untested channels go dark too.
    assert options["search"].change_fraction == -1.0 and options["radio"].change_fraction == -1.0
    assert options["radio"].tested_levels == ()
    # The recommendation says so when the channel it picks was tested before.
    from dataclasses import replace

    from mixscope.calibration.next_test import NextTestReport

    report = NextTestReport((options["tv"],), 6, -1.0, "keep", "revenue")
    assert "second spend level" in report.recommendation() and "-100%" in report.recommendation()
    untested = NextTestReport((replace(options["tv"], tested_levels=()),), 6, -1.0, "keep", "revenue")
    assert "second spend level" not in untested.recommendation()
    # An explicit change applies to every channel.
    assert {o.change_fraction for o in next_test(run, weeks=6, change=-0.5).options} == {-0.5}
