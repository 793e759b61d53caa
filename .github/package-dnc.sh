#!/usr/bin/env bash
# Builds the release binary for one target and packs it as dist/dnc-<tag>-<target>.tar.gz
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
cargo build --release --locked --target "$TARGET"

exe=dnc
[[ "$TARGET" == *windows* ]] && exe=dnc.exe
stage="target/dist-stage"
rm -rf "$stage"
mkdir -p "$stage" dist
cp "target/$TARGET/release/$exe" README.md "$stage/"
archive="dnc-$VERSION-$TARGET.tar.gz"
tar -czf "dist/$archive" -C "$stage" .
cd dist
if command -v sha256sum >/dev/null; then
    sha256sum "$archive" >"$archive.sha256"
else
    shasum -a 256 "$archive" >"$archive.sha256"
fi
cat "$archive.sha256"
