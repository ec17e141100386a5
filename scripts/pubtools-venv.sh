#!/usr/bin/env bash
# Makes (once) a Python venv with pubtools-pulplib, the real Pulp 2 client library the end-to-end content test
# drives. Usage: scripts/pubtools-venv.sh DIR; prints DIR/bin/python. Idempotent: an existing venv that imports
# pubtools.pulplib is kept.
set -euo pipefail
dir=${1:?usage: pubtools-venv.sh DIR}
if [[ -x $dir/bin/python ]] && "$dir/bin/python" -c 'import pubtools.pulplib' 2>/dev/null; then
    echo "$dir/bin/python"
    exit 0
fi
rm -rf "$dir"
python3 -m venv "$dir" >&2
"$dir/bin/python" -m pip install --quiet --disable-pip-version-check 'pubtools-pulplib==2.44.0' >&2
"$dir/bin/python" -c 'import pubtools.pulplib' >&2
echo "$dir/bin/python"
