"""XLA flags are set only when asked: importing mixscope leaves the process environment alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from mixscope import xla


def _environment_after(code: str) -> dict[str, str | None]:
    env = {key: value for key, value in os.environ.items() if key != "XLA_FLAGS"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_mixscope_and_its_model_does_not_touch_xla_flags():
    code = ("import json, os, mixscope, mixscope.model, mixscope.cli\n"
            "print(json.dumps({'flags': os.environ.get('XLA_FLAGS')}))")
    assert _environment_after(code) == {"flags": None}


def test_configure_xla_before_jax_gives_one_device_per_chain():
    code = ("import json, os\n"
            "from mixscope.model import configure_xla\n"
            "configure_xla(4)\n"
            "import jax\n"
            "from mixscope.model.fit import chain_method\n"
            "print(json.dumps({'devices': jax.local_device_count(), 'method': chain_method(4),\n"
            "                  'flags': os.environ['XLA_FLAGS']}))")
    seen = _environment_after(code)
    assert seen["devices"] == 4 and seen["method"] == "parallel"
    assert seen["flags"].split() == [
        "--xla_force_host_platform_device_count=4", "--xla_backend_optimization_level=1"
    ]


def test_a_users_own_flags_win(monkeypatch):
    own = "--xla_force_host_platform_device_count=2 --xla_backend_optimization_level=3"
    monkeypatch.setenv("XLA_FLAGS", own)
    xla.configure_xla()
    assert os.environ["XLA_FLAGS"] == own
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_enable_fast_math=false")
    xla.configure_xla(3)
    assert os.environ["XLA_FLAGS"].split() == [
        "--xla_force_host_platform_device_count=3", "--xla_cpu_enable_fast_math=false",
        "--xla_backend_optimization_level=1",
    ]
    xla.set_host_device_count(6)
    assert os.environ["XLA_FLAGS"].split()[0] == "--xla_force_host_platform_device_count=6"
    with pytest.raises(ValueError, match="at least 1"):
        xla.set_host_device_count(0)


def test_the_test_session_runs_chains_in_parallel_as_the_cli_does():
    """tests/conftest.py calls configure_xla before JAX starts, so fits here use the CLI's chain method."""
    from mixscope.model.fit import chain_method

    assert chain_method(4) == "parallel"
