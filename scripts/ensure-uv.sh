# Sourced by ./start and ./test: sets UV to a working uv, installing it into .tools/ if needed.
if command -v uv >/dev/null 2>&1; then
  UV=$(command -v uv)
elif [ -x .tools/bin/uv ]; then
  UV=.tools/bin/uv
else
  echo "installing uv into .tools/ (one time)..." >&2
  python3 -m venv .tools >/dev/null 2>&1 && .tools/bin/pip install --quiet uv \
    || { echo "could not install uv: install Python 3.11+ with venv and pip, then retry" >&2; exit 1; }
  UV=.tools/bin/uv
fi
export UV
# Write the libraries' bytecode when uv installs them: where PYTHONDONTWRITEBYTECODE is set (as
# on some CI machines) every process would otherwise compile pandas and SQLAlchemy from source.
export UV_COMPILE_BYTECODE=1
