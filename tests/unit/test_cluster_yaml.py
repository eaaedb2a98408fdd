"""cluster.yaml is a valid Ray autoscaler config (Ray's own schema; no cloud call)."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def load() -> dict:
    return yaml.safe_load((ROOT / "cluster.yaml").read_text())


def test_cluster_yaml_matches_the_autoscaler_schema():
    from ray.autoscaler._private.util import prepare_config, validate_config

    validate_config(prepare_config(load()))  # what `ray up` does before launching


def test_schema_check_is_real():
    """The same check rejects a config with an unknown key (so the test above can fail)."""
    import jsonschema
    from ray.autoscaler._private.util import prepare_config, validate_config

    bad = {**load(), "max_wrokers": 3}
    with pytest.raises(jsonschema.ValidationError):
        validate_config(prepare_config(bad))


def test_node_types_cover_head_cpu_and_gpu_and_install_the_gpu_extra():
    cfg = load()
    types = cfg["available_node_types"]
    assert cfg["head_node_type"] in types and types[cfg["head_node_type"]]["resources"] == {
        "CPU": 0
    }
    gpu = [t for t in types.values() if "g5" in t["node_config"]["InstanceType"]]
    assert gpu and all(t["max_workers"] >= 1 for t in gpu)
    assert any("[gpu" in cmd for cmd in cfg["setup_commands"])
