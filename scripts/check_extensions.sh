#!/usr/bin/env bash
# Run the tests that exercise the C extensions (src/autocomplete/*/_*.c) against builds with
# AddressSanitizer and UndefinedBehaviorSanitizer, to catch memory errors the ordinary build
# would survive silently; then the same tests on the extensions' plain-Python twins (what an
# install without a C compiler runs). Needs gcc; about a minute.
#
#   bash scripts/check_extensions.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python="$root/.venv/bin/python"
# (The engine's comparison in fresh interpreters runs once, in the ordinary pytest run.)
tests=(tests/test_align.py tests/test_kernels.py tests/test_spelling_index.py tests/test_errormodel.py
    tests/test_candidates.py tests/test_anchored.py tests/test_engine.py tests/test_word_index.py
    tests/test_multiword.py
    tests/test_damaged_files.py::test_structure_is_checked_even_when_the_checksums_match
    tests/test_damaged_files.py::test_every_damaged_index_file_is_refused_or_answers_the_same
    --deselect tests/test_kernels.py::test_the_engine_answers_the_same_on_the_twins)
# The extensions are optional to the install, so check that this one did compile them.
kernels="autocomplete.spell._align, autocomplete.index._nearby, autocomplete.index._words"
kernels+=", autocomplete.rank._alignwords"
"$python" -c "import $kernels" || {
    echo "check_extensions: the install has no compiled kernels (is a C compiler missing?)" >&2
    exit 1
}
(
    cd "$root"
    AUTOCOMPLETE_KERNELS=python AUTOCOMPLETE_DATA_DIR="$root/data" \
        "$python" -m pytest -q -p no:cacheprovider "${tests[@]}"
)
suffix="$("$python" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')"
include="$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
cp -r "$root/src" "$work/src"
rm -f "$work"/src/autocomplete/*/*.so
for source in "$root"/src/autocomplete/*/*.c; do
    name="$(basename "$source" .c)"
    package="$(basename "$(dirname "$source")")"
    gcc -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
        -fno-omit-frame-pointer -shared -fPIC -I"$include" -I"$root/src/autocomplete" "$source" \
        -o "$work/src/autocomplete/$package/$name$suffix"
done
preload="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
cd "$root"
export ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD="$preload" PYTHONPATH="$work/src"
# The sanitized builds must be the ones imported, not the installed ones.
"$python" -c "import autocomplete.spell._align as a, autocomplete.index._nearby as n, sys
import autocomplete.index._words as w, autocomplete.rank._alignwords as r
sys.exit(not all(m.__file__.startswith('$work') for m in (a, n, w, r)))"
AUTOCOMPLETE_DATA_DIR="$root/data" XDG_CACHE_HOME="$work/cache" \
    "$python" -m pytest -q -p no:cacheprovider "${tests[@]}"
