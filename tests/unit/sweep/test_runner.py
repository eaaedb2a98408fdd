from types import SimpleNamespace

import pytest

from gallon.config import Config
from gallon.config.loader import from_dict
from gallon.sweep.runner import _searcher


def _ctx(**sweep):
    return SimpleNamespace(cfg=from_dict(Config, {"sweep": sweep}, base=Config()))


def test_random_search_holds_the_concurrency_limit_itself():
    # Tune ignores TuneConfig.max_concurrent_trials for its variant generator
    search = _searcher(_ctx(search="random", max_concurrent_trials=3), "best_val", "min")
    assert search.max_concurrent == 3


def test_optuna_search_is_wrapped_in_a_concurrency_limiter():
    pytest.importorskip("optuna")
    from ray.tune.search import ConcurrencyLimiter
    from ray.tune.search.optuna import OptunaSearch

    search = _searcher(_ctx(search="optuna", max_concurrent_trials=2), "best_val", "max")
    assert isinstance(search, ConcurrencyLimiter) and search.max_concurrent == 2
    assert isinstance(search.searcher, OptunaSearch)
