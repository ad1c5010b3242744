#!/usr/bin/env bash
# Creates (idempotently) the git-ignored virtualenv .venv/ with scripts/requirements-test.txt: the
# independent clients the tests use (Python grpcio + reflection, the Prometheus text parser, ...).
# A second run with unchanged requirements is a no-op.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
venv="$root/.venv"
req="$here/requirements-test.txt"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "install-python-deps: $venv up to date"
  exit 0
fi
# A worktree may share another checkout's venv through a .venv symlink: reuse it, never recreate it.
[[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
echo "$want" > "$stamp"
echo "install-python-deps: installed $(grep -cv '^\s*\(#\|$\)' "$req") packages into $venv"
