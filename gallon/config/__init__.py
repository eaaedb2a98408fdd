"""Typed configuration: dataclasses (`schema` and its sections) and the YAML/override loader
(`loader`)."""

from gallon.config.loader import dump_yaml, load_config, to_dict
from gallon.config.schema import (
    Config,
    DataConfig,
    DistillConfig,
    FeaturesConfig,
    NetConfig,
    RunConfig,
    SplitConfig,
    TrainConfig,
)

__all__ = [
    "Config",
    "DataConfig",
    "DistillConfig",
    "FeaturesConfig",
    "NetConfig",
    "RunConfig",
    "SplitConfig",
    "TrainConfig",
    "dump_yaml",
    "load_config",
    "to_dict",
]
