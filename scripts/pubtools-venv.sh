#!/usr/bin/env bash
# Makes (once) a Python venv with pubtools-pulplib, the real Pulp 2 client library the end-to-end content test
# drives, and requests-oauthlib, for the OAuth 1.0 test (runcible's way of signing). Usage: scripts/pubtools-venv.sh DIR; prints DIR/bin/python. Idempotent: an existing venv that imports
# pubtools.pulplib is kept.
set -euo pipefail
dir=${1:?usage: pubtools-venv.sh DIR}
if [[ -x $dir/bin/python ]] && "$dir/bin/python" -c 'import pubtools.pulplib, requests_oauthlib' 2>/dev/null; then
    echo "$dir/bin/python"
    exit 0
fi
rm -rf "$dir"
python3 -m venv "$dir" >&2
"$dir/bin/python" -m pip install --quiet --disable-pip-version-check 'pubtools-pulplib==2.44.0' 'requests-oauthlib>=1.3' >&2
"$dir/bin/python" -c 'import pubtools.pulplib, requests_oauthlib' >&2
echo "$dir/bin/python"
