#!/usr/bin/env bash
# The C kernels on aarch64: built with the cross compilers (GCC, and clang as SwiftPM uses it) and run
# under qemu as a core with the dot-product instructions (max) and one without (cortex-a72).
# Needs: gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user (Debian packages).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$out"

# The kernels with the package's flags; the check itself at -O1 (GCC 12 for aarch64 crashed vectorising it).
flags=(-std=gnu11 -fno-math-errno -Wall -Werror -I"$root/Sources/CKernels/include" -pthread)
build() {  # name, compiler command...
    local name=$1; shift
    "$@" "${flags[@]}" -O3 -c "$root"/Sources/CKernels/*.c
    "$@" "${flags[@]}" -O1 -c "$root/Tools/arm64/kernels_check.c"
    "$@" -static -pthread ./*.o -o "$name" -lm
    rm ./*.o
    # The codec's kernels are only compiled here: the Swift tests check them (on x86).
    mkdir codec
    (cd codec && "$@" -std=gnu11 -Wall -Werror -I"$root/Sources/CCodecKernels/include" -O3 -c "$root"/Sources/CCodecKernels/*.c)
    rm -r codec
}
build gcc aarch64-linux-gnu-gcc
compilers=(gcc)
if command -v clang >/dev/null; then
    build clang clang --target=aarch64-linux-gnu
    compilers+=(clang)
fi
for compiler in "${compilers[@]}"; do
    for cpu in max cortex-a72; do
        echo "== $compiler build, qemu -cpu $cpu"
        qemu-aarch64 -cpu "$cpu" "./$compiler"
    done
done
