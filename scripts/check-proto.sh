#!/usr/bin/env bash
# The schema contract in CI (issue 14): `buf lint` on proto/ and `buf breaking` against the last released
# schema, the checked-in image proto/released/tweetstream-v1.binpb (rules: proto/buf.yaml and proto/README.md).
#   check-proto.sh [DIR]   DIR holds buf.yaml, the .proto files and released/ (default: the repository's proto/)
# Exit 0 when both pass; otherwise buf's findings (file:line:column: what broke) and a non-zero exit.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"
dir="${1:-$ROOT_DIR/proto}"
buf="$(bash "$here/install-buf.sh" --path)"
cd "$dir"
"$buf" lint
"$buf" breaking --against released/tweetstream-v1.binpb
echo "check-proto: lint and breaking (against released/tweetstream-v1.binpb) passed in $dir"
