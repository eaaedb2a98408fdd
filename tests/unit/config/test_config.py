from pathlib import Path

import pytest

from gallon.config import Config, dump_yaml, load_config
from gallon.config.loader import read_yaml
from gallon.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]
DEFAULT = ROOT / "jobs" / "configs" / "default.yaml"


def test_default_yaml_equals_dataclass_defaults():
    assert load_config([DEFAULT]) == Config()


def test_default_yaml_lists_every_key():
    def keys(d, prefix=""):
        out = set()
        for k, v in d.items():
            out |= keys(v, f"{prefix}{k}.") if isinstance(v, dict) else {prefix + k}
        return out

    import yaml

    assert keys(read_yaml(DEFAULT)) == keys(yaml.safe_load(dump_yaml(Config())))


def test_every_shipped_config_loads():
    for path in (ROOT / "jobs" / "configs").glob("*.yaml"):
        load_config([path])


def test_overrides_are_typed():
    cfg = load_config(overrides=["gnn.train.lr=0.01", "run.seeds=0,1", "distill.alpha=1"])
    assert cfg.gnn.train.lr == 0.01
    assert cfg.run.seeds == (0, 1)
    assert isinstance(cfg.distill.alpha, float)


def test_unset_alpha_takes_the_task_types_default_and_a_set_one_stays():
    cfg = Config()
    assert cfg.distill.alpha is None
    assert cfg.for_task("regression").distill.alpha == 3.0
    assert cfg.for_task("classification").distill.alpha == 1.0
    chosen = load_config(overrides=["distill.alpha=0.5"])
    assert chosen.for_task("regression") is chosen
    assert "alpha: 3.0" in dump_yaml(cfg.for_task("regression"))  # what a run's config.yaml says


def test_partial_section_keeps_other_defaults(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("student:\n  hidden: 32\n")
    cfg = load_config([path])
    assert cfg.student.hidden == 32
    assert cfg.student.model == Config().student.model  # not the NetConfig class default


def test_later_sources_win(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("distill:\n  alpha: 2.0\n  beta: 3.0\n")
    b.write_text("distill:\n  alpha: 5.0\n")
    cfg = load_config([a, b], ["distill.beta=7"])
    assert (cfg.distill.alpha, cfg.distill.beta) == (5.0, 7.0)


@pytest.mark.parametrize(
    "override, message",
    [
        ("gnn.train.lr=fast", "config key 'gnn.train.lr' must be a number, got 'fast'"),
        ("gnn.hiden=3", "unknown config key 'gnn.hiden' in section 'gnn' (did you mean 'hidden'?)"),
        ("gnn.train.epochs=-1", "config key 'gnn.train.epochs' must be positive"),
        ("split.method=foo", "config key 'split.method' must be one of"),
        ("split.sizes=[0.5,0.5]", "config key 'split.sizes' must have 3 items"),
        ("split.sizes=[0.5,0.3,0.3]", "config key 'split.sizes' must add up to 1"),
        ("run.seeds=[1,1]", "config key 'run.seeds' must not repeat"),
        ("gnn.train.use_gpu=1", "config key 'gnn.train.use_gpu' must be true or false"),
        ("gnn.hidden=2.5", "config key 'gnn.hidden' must be an integer"),
        ("nosection.key=1", "unknown config key 'nosection'"),
        ("justtext", "must look like section.key=value"),
    ],
)
def test_bad_values_fail_with_one_sentence(override, message):
    with pytest.raises(ConfigError) as err:
        load_config(overrides=[override])
    text = str(err.value)
    assert message in text
    assert "\n" not in text


def test_bad_yaml_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("gnn: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config([path])
    with pytest.raises(ConfigError, match="does not exist"):
        load_config([tmp_path / "missing.yaml"])


def test_a_seed_for_the_deterministic_scaffold_split_is_refused():
    with pytest.raises(ConfigError, match="random_scaffold"):
        load_config([], ["split.seed=3"])
    assert load_config([], ["split.method=random_scaffold", "split.seed=3"]).split.seed == 3
