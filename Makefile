# Every target that needs Python creates .venv on first use: the CPU build of torch first
# (a plain `torch` requirement would pull a multi-GB CUDA build), then this package, editable.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TORCH_CPU ?= torch==2.13.0
STAMP := $(VENV)/.installed

SWEEP ?= experiments/configs/sweeps/reward_variants.yaml
COMPARE ?= experiments/configs/compare_rl.yaml
BACKEND ?= local
LOGDIR ?= runs

.PHONY: help install test test-fast lint format bench figures train-angle train-ddpg evaluate evaluate-bbob evaluate-highd table1 sweep compare-rl tensorboard clean distclean

help:
	@echo "make train-ddpg  train the step-size/resolution policies (agents/pretrained/rover_policy.pt, and rover_box.pt for bounded problems)"
	@echo "make evaluate  the learned optimiser against tuned baselines: results/evaluation.md"
	@echo "make evaluate-bbob  every optimiser on COCO's BBOB suite (2-D): results/bbob.md"
	@echo "make evaluate-highd  the paper's high-dimensional experiments: results/high_dim.md"
	@echo "make sweep SWEEP=file [BACKEND=ray]  a grid of training runs in parallel, with summary.md"
	@echo "make compare-rl [COMPARE=file] [BACKEND=ray]  our recurrent DDPG vs SB3 agents on one env"
	@echo "make test      set up .venv (first use) and run the test suite"
	@echo "make lint      ruff check + format check"
	@echo "make format    ruff format + autofix"
	@echo "make bench     environment steps per second vs Gymnasium's Pendulum-v1"
	@echo "make figures   contour plots of every landscape family into docs/figures"
	@echo "make train-angle  train the default angle network (writes agents/pretrained/angle_net.pt)"
	@echo "make table1    reproduce the paper's Table 1 into results/table1.md"
	@echo "make tensorboard [LOGDIR=runs/sweeps/NAME]  open TensorBoard (default: every run under runs/)"
	@echo "make clean     remove caches (keeps .venv); make distclean also removes .venv"

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH_CPU)"
	$(PY) -m pip install -q -e ".[dev,ray,bbob,highd]"
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) -m pytest -q

test-fast: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) -m pytest -q -m "not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(STAMP)
	$(PY) -m experiments.bench
	$(PY) -m experiments.bench_highdim

# The two shipped policies train side by side (each on one core); the bounded one logs to a file.
train-ddpg: $(STAMP)
	@mkdir -p runs
	@echo "training agents/pretrained/rover_box.pt alongside (log: runs/train_ddpg_box.log)"
	@$(PY) -m experiments.train_ddpg --config experiments/configs/ddpg_box.yaml \
		--output agents/pretrained/rover_box.pt > runs/train_ddpg_box.log 2>&1 & box=$$!; \
	$(PY) -m experiments.train_ddpg --config experiments/configs/ddpg.yaml \
		--output agents/pretrained/rover_policy.pt; main=$$?; \
	wait $$box; bounded=$$?; tail -n 7 runs/train_ddpg_box.log; \
	test $$main -eq 0 && test $$bounded -eq 0

evaluate: $(STAMP)
	MPLBACKEND=Agg $(PY) -m experiments.evaluate --out results

evaluate-highd: $(STAMP)
	MPLBACKEND=Agg $(PY) -m experiments.evaluate_highd --out results

evaluate-bbob: $(STAMP)
	MPLBACKEND=Agg $(PY) -m experiments.bbob --out results --cocopp

train-angle: $(STAMP)
	$(PY) -m experiments.train_angle --config experiments/configs/angle.yaml --output agents/pretrained/angle_net.pt

table1: $(STAMP)
	$(PY) -m experiments.table1 --config experiments/configs/table1.yaml --out results

sweep: $(STAMP)
	MPLBACKEND=Agg $(PY) -m experiments.sweep $(SWEEP) --backend $(BACKEND)

compare-rl: $(STAMP)
	MPLBACKEND=Agg $(PY) -m experiments.compare_rl --config $(COMPARE) --backend $(BACKEND)

tensorboard: $(STAMP)
	$(VENV)/bin/tensorboard --logdir $(LOGDIR)

figures: $(STAMP)
	MPLBACKEND=Agg $(PY) -m experiments.plots landscapes --out docs/figures

clean:
	rm -rf .pytest_cache .ruff_cache .hypothesis build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
