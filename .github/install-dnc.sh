#!/usr/bin/env bash
# Installs the prebuilt dnc release binary for this runner into "$DNC_INSTALL_ROOT/bin", after
# checking its SHA-256 against the checksum published with the release. Called by action.yml.
#
# Writes `installed=true` to $GITHUB_OUTPUT when it installed a binary, `installed=false` when
# no release binary matches (no release tag, an unknown platform, or a release without this
# archive): the action then builds dnc from source. Anything else (a checksum mismatch, a
# download that fails other than with 404) fails the step; an unverified binary is never run.
#
# Env: DNC_VERSION (a release tag such as v0.2.0; anything else means "build from source"),
# DNC_INSTALL_ROOT, RUNNER_OS, RUNNER_ARCH, and DNC_RELEASE_URL (the base of the release
# downloads; default: this action's repository on GitHub).
#
# Inside a composite action `github.action_ref` and `github.action_repository` can be empty,
# so both also come from where the runner checked the action out:
# `.../_actions/<owner>/<repo>/<ref>` (a local `uses: ./` has no such path: built from source).
set -euo pipefail

: "${DNC_INSTALL_ROOT:?DNC_INSTALL_ROOT must name the install directory}"
checkout_owner="" checkout_repo="" checkout_ref=""
if [[ "${GITHUB_ACTION_PATH:-}" =~ /_actions/([^/]+)/([^/]+)/([^/]+)/?$ ]]; then
    checkout_owner="${BASH_REMATCH[1]}"
    checkout_repo="${BASH_REMATCH[2]}"
    checkout_ref="${BASH_REMATCH[3]}"
fi
readonly version="${DNC_VERSION:-$checkout_ref}"
readonly repository="${GITHUB_ACTION_REPOSITORY:-$checkout_owner/$checkout_repo}"
readonly base="${DNC_RELEASE_URL:-https://github.com/$repository/releases/download}"
readonly output="${GITHUB_OUTPUT:-/dev/null}"

no_binary() {
    echo "dnc: $1; building from source instead"
    echo "installed=false" >>"$output"
    exit 0
}

fail() {
    echo "::error title=dnc install::$1"
    exit 1
}

if [[ ! "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]*)?$ ]]; then
    no_binary "\`${version}\` is not a release tag"
fi

case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
    Linux/X64) target=x86_64-unknown-linux-musl ;;
    Linux/ARM64) target=aarch64-unknown-linux-musl ;;
    macOS/ARM64) target=aarch64-apple-darwin ;;
    Windows/X64) target=x86_64-pc-windows-msvc ;;
    *) no_binary "no release binary for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}" ;;
esac
readonly archive="dnc-${version}-${target}.tar.gz"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Prints the HTTP status; redirects (GitHub sends downloads to its CDN) must stay on https.
fetch() {
    curl --silent --show-error --location --proto-redir '=https' --retry 3 \
        --output "$2" --write-out '%{http_code}' "$1"
}

status="$(fetch "$base/$version/$archive.sha256" "$work/sum")" ||
    fail "could not download $base/$version/$archive.sha256"
case "$status" in
    200) ;;
    404) no_binary "release $version has no $archive" ;;
    *) fail "$base/$version/$archive.sha256 answered HTTP $status" ;;
esac
status="$(fetch "$base/$version/$archive" "$work/$archive")" ||
    fail "could not download $base/$version/$archive"
[[ "$status" == 200 ]] || fail "$base/$version/$archive answered HTTP $status"

read -r expected _ <"$work/sum" || true
[[ "${expected:-}" =~ ^[0-9a-f]{64}$ ]] || fail "$archive.sha256 holds no SHA-256"
if command -v sha256sum >/dev/null; then
    read -r actual _ < <(sha256sum "$work/$archive")
else
    read -r actual _ < <(shasum -a 256 "$work/$archive")
fi
[[ "$actual" == "$expected" ]] ||
    fail "$archive has SHA-256 $actual but the release says $expected: not installing it"

mkdir -p "$work/unpacked" "$DNC_INSTALL_ROOT/bin"
tar -xzf "$work/$archive" -C "$work/unpacked"
exe=dnc
[[ "$target" == *windows* ]] && exe=dnc.exe
[[ -f "$work/unpacked/$exe" ]] || fail "$archive holds no $exe"
install -m 755 "$work/unpacked/$exe" "$DNC_INSTALL_ROOT/bin/$exe"
"$DNC_INSTALL_ROOT/bin/$exe" --version
echo "installed=true" >>"$output"
