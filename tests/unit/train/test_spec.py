"""Workers get typed specs: a missing, renamed or mistyped key fails with the key's name."""

import copy
from pathlib import Path

import pytest

from gallon.errors import ConfigError
from gallon.roles import ROLES
from gallon.train.loop import LocalSession, run_loop
from gallon.train.spec import SECTIONS, WorkerSpec
from gallon.train.tasks import TASKS


def _spec(tiny_run, role="student"):
    # own seed's teacher: a spec of the seed mean reads (averages) the teachers' outputs, which
    # these tests do not train (that spec: test_stage.py)
    overrides = ("run.reuse=false", "distill.teacher_seeds=own")
    return ROLES[role].spec(tiny_run(overrides=overrides), 0)


def test_a_role_spec_parses_into_typed_sections(tiny_run):
    spec = WorkerSpec.parse(_spec(tiny_run))
    assert spec.kind == "graph" and spec.train.epochs > 0
    assert spec.distill.weights == {"gnn": 1.0} and spec.data.atom_dim > 0
    assert WorkerSpec.parse(spec.to_dict()) == spec  # round trip: what Ray carries


@pytest.mark.parametrize(
    ("path", "needle"),
    [
        (("distill", "kind"), "'distill.kind' is missing"),
        (("distill", "projection"), "'distill.projection' is missing"),
        (("train", "patience"), "'train.patience' is missing"),
        (("data", "teachers"), "'data.teachers' is missing"),
        (("label_smoothing",), "'label_smoothing' is missing"),
    ],
)
def test_a_dropped_key_is_named(tiny_run, path, needle):
    spec = copy.deepcopy(_spec(tiny_run))
    section = spec
    for key in path[:-1]:
        section = section[key]
    del section[path[-1]]
    with pytest.raises(ConfigError, match=needle):
        WorkerSpec.parse(spec)


def test_a_renamed_key_is_refused_not_defaulted(tiny_run):
    spec = copy.deepcopy(_spec(tiny_run))
    spec["distill"]["kinds"] = spec["distill"].pop("kind")
    with pytest.raises(ConfigError, match="distill.kind"):
        WorkerSpec.parse(spec)
    spec = copy.deepcopy(_spec(tiny_run))
    spec["distill"]["temprature"] = 2.0
    with pytest.raises(ConfigError, match="temprature"):
        WorkerSpec.parse(spec)


def test_a_mistyped_value_is_refused(tiny_run):
    spec = copy.deepcopy(_spec(tiny_run))
    spec["distill"]["kind"] = "labels"
    with pytest.raises(ConfigError, match="distill.kind"):
        WorkerSpec.parse(spec)
    spec = copy.deepcopy(_spec(tiny_run))
    spec["train"]["epochs"] = "ten"
    with pytest.raises(ConfigError, match="train.epochs"):
        WorkerSpec.parse(spec)


def test_the_worker_checks_on_arrival(tiny_run):
    spec = copy.deepcopy(_spec(tiny_run, "gnn"))
    del spec["kind"]
    with pytest.raises(ConfigError, match="'kind'"):
        run_loop({**spec, "name": "m"}, LocalSession())


def test_every_task_kind_declares_its_sections():
    assert set(SECTIONS) == set(TASKS)


def test_fault_injection_lives_in_the_testing_module():
    package = Path(__file__).resolve().parents[3] / "gallon"
    for path in package.rglob("*.py"):
        if path.parent.name == "testing":
            continue
        text = path.read_text()
        assert "os._exit" not in text, path
        assert "GALLON_INJECT" not in text, path
