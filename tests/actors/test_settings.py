"""Configuration: every error with its key path, overrides, the generated sample."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from actors.config import Config
from actors.settings import ConfigError, config_from_dict, generate_config_toml, load_config


def test_defaults_match_the_seed_system() -> None:
    c = Config()
    assert (c.fill.touch_probability, c.fill.queue_position_factor, c.fill.max_order_age_s) == (
        0.3,
        0.4,
        300.0,
    )
    assert (c.fill.placement_latency_ms, c.fill.cancel_latency_ms, c.fill.queue_alpha) == (100.0, 50.0, 1.5)
    assert (c.quote.paper_balance_usd, c.quote.min_notional_usd, c.quote.gamma) == (1000.0, 10.0, 0.3)


def test_every_error_is_listed_with_its_key_path() -> None:
    with pytest.raises(ConfigError) as info:
        config_from_dict(
            {"fill": {"placement_latency_ms": -1, "bogus": 1}, "quote": {"gamma": "x"}, "zzz": 3}
        )
    errors = info.value.errors
    assert len(errors) == 4
    assert any(e.startswith("fill.placement_latency_ms:") and ">= 0" in e for e in errors)
    assert any(e.startswith("fill.bogus: unknown key") for e in errors)
    assert any(e.startswith("quote.gamma:") and "str" in e for e in errors)
    assert any(e.startswith("zzz: unknown key") for e in errors)


def test_section_must_be_a_table() -> None:
    with pytest.raises(ConfigError, match="fill: expected a table"):
        config_from_dict({"fill": 3})


def test_generated_config_parses_back_to_the_defaults() -> None:
    text = generate_config_toml()
    assert config_from_dict(tomllib.loads(text)) == Config()
    assert "# Base probability that a trade at our level fills us. (>= 0, <= 1)" in text


def test_overrides_beat_the_file_which_beats_defaults(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[quote]\ngamma = 0.5\nlevels = 4\n")
    c = load_config(path, [("quote.gamma", 0.7)])
    assert (c.quote.gamma, c.quote.levels, c.quote.arrival_a) == (0.7, 4, 1.0)


def test_bad_toml_and_missing_file_are_config_errors(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[quote\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
