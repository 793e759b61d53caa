#!/usr/bin/env bash
# Builds the release binary for one target and packs it stripped as
# dist/dnc-<tag>-<target>.tar.gz, its debug info as dist/dnc-<tag>-<target>-debug.tar.gz, each
# with its .sha256 beside it. Called by .github/workflows/release.yml on a runner of that
# target's platform. Env: TARGET (a Rust target triple), VERSION (the release tag).
set -euo pipefail
cd "$(dirname "$0")/.."

: "${TARGET:?}" "${VERSION:?}"

# Not every runner image ships rustup (the arm64 Linux ones may not).
if ! command -v rustup >/dev/null; then
    curl --proto '=https' --tlsv1.2 --silent --show-error --fail https://sh.rustup.rs |
        sh -s -- -y --profile minimal
    export PATH="$HOME/.cargo/bin:$PATH"
fi
rustup target add "$TARGET"
if [[ "$TARGET" == *-linux-musl ]]; then
    # Static binaries: the C parts (SQLite, ring) are compiled against musl too.
    export "CC_${TARGET//-/_}=musl-gcc"
fi
if [[ "$TARGET" == aarch64-*-linux-* ]]; then
    # jemalloc (the allocator, src/allocator.rs) is built for the page size it is told: some
    # arm64 kernels use 64 KiB pages, and a larger page size also runs on smaller ones.
    export JEMALLOC_SYS_WITH_LG_PAGE=16
fi
cargo build --release --locked --target "$TARGET"

exe=dnc
[[ "$TARGET" == *windows* ]] && exe=dnc.exe
stage="target/dist-stage"
debug="target/dist-debug"
rm -rf "$stage" "$debug"
mkdir -p "$stage" "$debug" dist
cp "target/$TARGET/release/$exe" README.md "$stage/"

# The archive the Action downloads holds a stripped binary; its debug info (line tables, for
# reading a crash's backtrace) ships beside it as dnc-<tag>-<target>-debug.tar.gz.
case "$TARGET" in
    *-linux-*)
        objcopy --only-keep-debug "$stage/$exe" "$debug/$exe.debug"
        objcopy --strip-debug --strip-unneeded --add-gnu-debuglink="$debug/$exe.debug" "$stage/$exe"
        ;;
    *-apple-darwin)
        dsymutil "$stage/$exe" -o "$debug/$exe.dSYM"
        strip -S -x "$stage/$exe"
        ;;
    *windows*)
        cp "target/$TARGET/release/dnc.pdb" "$debug/"
        ;;
esac

archive="dnc-$VERSION-$TARGET.tar.gz"
debug_archive="dnc-$VERSION-$TARGET-debug.tar.gz"
tar -czf "dist/$archive" -C "$stage" .
tar -czf "dist/$debug_archive" -C "$debug" .
cd dist
for file in "$archive" "$debug_archive"; do
    if command -v sha256sum >/dev/null; then
        sha256sum "$file" >"$file.sha256"
    else
        shasum -a 256 "$file" >"$file.sha256"
    fi
    cat "$file.sha256"
done
ls -l "$archive" "$debug_archive"
