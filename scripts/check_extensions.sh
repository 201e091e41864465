#!/usr/bin/env bash
# Run the tests that exercise the C extensions (src/autocomplete/*.c) against builds with
# AddressSanitizer and UndefinedBehaviorSanitizer, to catch memory errors the ordinary build
# would survive silently. Needs gcc; about 30 s.
#
#   bash scripts/check_extensions.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python="$root/.venv/bin/python"
suffix="$("$python" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')"
include="$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
cp -r "$root/src" "$work/src"
rm -f "$work"/src/autocomplete/*.so
for source in "$root"/src/autocomplete/*.c; do
    name="$(basename "$source" .c)"
    gcc -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
        -fno-omit-frame-pointer -shared -fPIC -I"$include" "$source" \
        -o "$work/src/autocomplete/$name$suffix"
done
preload="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
cd "$root"
export ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD="$preload" PYTHONPATH="$work/src"
# The sanitized builds must be the ones imported, not the installed ones.
"$python" -c "import autocomplete._align as a, autocomplete._nearby as n, sys
sys.exit(not all(m.__file__.startswith('$work') for m in (a, n)))"
AUTOCOMPLETE_DATA_DIR="$root/data" XDG_CACHE_HOME="$work/cache" \
    "$python" -m pytest -q -p no:cacheprovider \
    tests/test_align.py tests/test_spelling_index.py tests/test_errormodel.py \
    tests/test_candidates.py tests/test_anchored.py tests/test_engine.py
