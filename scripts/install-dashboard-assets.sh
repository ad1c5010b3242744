#!/usr/bin/env bash
# Installs the pinned npm packages of `tweetctl dashboard` (tools/tweetctl/dashboard/package.json and
# its package-lock.json: uPlot, built into the tweetctl binary by CMake, and playwright-core, which
# drives Debian's headless chromium in tests/tools/dashboard_browser_test.mjs) with `npm ci` into the
# git-ignored tools/tweetctl/dashboard/vendor/ folder. The page itself loads nothing from the internet:
# the build embeds these files. Idempotent: when vendor/ matches the lock file this is a no-op.
#   install-dashboard-assets.sh          install (when missing or the lock file changed)
#   install-dashboard-assets.sh --check  exit 0 when installed and current, 1 otherwise
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"

dir="$ROOT_DIR/tools/tweetctl/dashboard"
vendor="$dir/vendor"
stamp="$vendor/.lock-sha256"
want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
current() { [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -f "$vendor/node_modules/uplot/dist/uPlot.iife.min.js" ]]; }

if [[ "${1:-}" == --check ]]; then current; exit; fi
if current; then echo "install-dashboard-assets: already in $vendor"; exit 0; fi
command -v npm >/dev/null || { echo "install-dashboard-assets: npm is needed (Debian package npm)" >&2; exit 1; }
rm -rf "$vendor" && mkdir -p "$vendor"
cp "$dir/package.json" "$dir/package-lock.json" "$vendor/"
echo "install-dashboard-assets: npm ci (uplot, playwright-core) into $vendor"
(cd "$vendor" && npm ci --silent --no-audit --no-fund)
echo "$want" >"$stamp"
