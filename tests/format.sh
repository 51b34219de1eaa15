#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
# The house style is .clang-format: every tracked C and C++ file must be
# formatted by it.  CI runs this; fix a failure with
#   git ls-files '*.c' '*.h' '*.cpp' '*.hpp' | xargs clang-format -i
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/cmake/install-deps.sh" format
cd "$root"
mapfile -t files < <(git ls-files '*.c' '*.h' '*.cpp' '*.hpp')
clang-format --version
if ! clang-format --dry-run --Werror "${files[@]}"; then
	echo "format: the files above differ from .clang-format's style" >&2
	exit 1
fi
echo "format: ${#files[@]} files follow .clang-format"
