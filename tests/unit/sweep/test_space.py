import pytest
import yaml

from gallon.config import Config, load_config
from gallon.config.loader import from_dict
from gallon.errors import ConfigError
from gallon.sweep.space import (
    apply_params,
    best_yaml,
    check_space,
    nest,
    plain_params,
    relevant_space,
    tune_space,
)


def with_space(space: dict, **sweep) -> Config:
    return from_dict(Config, {"sweep": {"space": space, **sweep}}, base=Config())


def test_nest_turns_dotted_keys_into_sections():
    assert nest({"student.train.lr": 0.01, "distill.kind": "label"}) == {
        "student": {"train": {"lr": 0.01}},
        "distill": {"kind": "label"},
    }


def test_apply_params_type_checks_like_an_override():
    cfg = apply_params(Config(), {"student.hidden": 64, "distill.alpha": 10})
    assert cfg.student.hidden == 64 and cfg.distill.alpha == 10.0
    assert cfg.gnn == Config().gnn  # nothing else moves
    with pytest.raises(ConfigError, match="student.hidden"):
        apply_params(Config(), {"student.hidden": "wide"})


def test_default_space_is_valid_and_uses_the_reference_grid():
    cfg = Config()
    check_space(cfg)
    assert cfg.sweep.space["distill.alpha"]["choice"] == [0.0, 0.001, 0.01, 0.1, 1.0, 10.0, 100.0]


@pytest.mark.parametrize(
    ("space", "message"),
    [
        ({"student.widht": {"choice": [1]}}, "unknown config key 'student.widht'"),
        ({"distill.kind": {"choice": ["label", "magic"]}}, "distill.kind"),
        ({"student.train.lr": {"loguniform": [0.0, 1.0]}}, "positive"),
        ({"student.dropout": {"uniform": [0.5, 0.1]}}, "low < high"),
    ],
)
def test_bad_space_entries_fail_with_one_sentence(space, message):
    with pytest.raises(ConfigError, match=message):
        check_space(with_space(space))


@pytest.mark.parametrize(
    ("space", "message"),
    [
        ({"gnn.hidden": {"choice": [1]}}, "student.\\*, distill.\\*"),
        ({"student.hidden": {"normal": [1, 2]}}, "must be one of"),
        ({"student.dropout": {"uniform": [0.1]}}, "low, high"),
    ],
)
def test_space_shape_is_checked_when_loading(space, message):
    with pytest.raises(ConfigError, match=message):
        with_space(space)


def test_unused_teacher_weight_is_not_searched():
    cfg = from_dict(Config, {"run": {"roles": ["gnn", "mlp", "student"]}}, base=Config())
    assert "distill.beta" not in relevant_space(cfg).sweep.space
    assert "distill.alpha" in relevant_space(cfg).sweep.space
    assert "distill.beta" in relevant_space(Config()).sweep.space


def test_grid_search_needs_choice_lists():
    grid = with_space({"distill.alpha": {"choice": [0.0, 1.0]}}, search="grid")
    assert tune_space(grid.sweep)["distill.alpha"] == {"grid_search": [0.0, 1.0]}
    bad = with_space({"student.dropout": {"uniform": [0.0, 0.5]}}, search="grid")
    with pytest.raises(ConfigError, match="grid search needs choice lists"):
        tune_space(bad.sweep)


def test_best_yaml_loads_as_a_partial_config(tmp_path):
    params = plain_params(
        Config(), {"student.hidden": 128, "distill.alpha": 1, "student.train.lr": 3e-3}
    )
    assert params == {"student.hidden": 128, "distill.alpha": 1.0, "student.train.lr": 0.003}
    path = tmp_path / "best.yaml"
    path.write_text(best_yaml(params, "best of 4"))
    assert yaml.safe_load(path.read_text())["student"]["train"]["lr"] == 0.003
    cfg = load_config([path])
    assert (cfg.student.hidden, cfg.distill.alpha, cfg.student.train.lr) == (128, 1.0, 0.003)
    assert cfg.student.layers == Config().student.layers


def test_integral_floats_from_result_tables_become_ints_again():
    assert plain_params(Config(), {"student.hidden": 128.0}) == {"student.hidden": 128}
    with pytest.raises(ConfigError, match="student.hidden"):
        apply_params(Config(), {"student.hidden": 128.5})
