#!/usr/bin/env bash
# Puts dnc on the job's PATH, once per job. Called by action.yml in two modes:
#
#   resolve  writes `version=<tag or ref>`, `release=true|false` and `present=true|false` to
#            $GITHUB_OUTPUT, so the action restores the release binary an earlier run cached
#            for that version only when this job has no dnc yet;
#   install  (default) installs the prebuilt release binary for this runner into
#            "$DNC_INSTALL_ROOT/bin" after checking its SHA-256 against the checksum published
#            with the release, and adds that directory to $GITHUB_PATH;
#   stamp    records the binary the action just built from source, for the job's later steps.
#
# A binary installed earlier in the job (or restored from the cache) is reused when its stamp
# names the same version and the binary still has the SHA-256 recorded when it was verified.
#
# Writes `installed=true` to $GITHUB_OUTPUT when dnc is in place, `installed=false` when the
# action should build it from its own source: only when no version was asked for and the
# action's own ref has no release binary (an untagged commit, an unknown platform, a release
# without this archive). An explicit `version` that has no release binary fails the step with
# the reason: building the action's source would give another version than the one asked for.
# Anything else (a checksum mismatch, a download that fails other than with 404) fails the
# step; an unverified binary is never run.
#
# Env: DNC_VERSION (the `version` input: a release such as v0.2.0 or 0.2.0; empty: the
# action's own ref), DNC_ACTION_REF, DNC_INSTALL_ROOT, RUNNER_OS, RUNNER_ARCH, and
# DNC_RELEASE_URL (the base of the release downloads; default: this action's repository).
#
# Inside a composite action `github.action_ref` and `github.action_repository` can be empty,
# so both also come from where the runner checked the action out:
# `.../_actions/<owner>/<repo>/<ref>` (a local `uses: ./` has no such path: built from source).
set -euo pipefail

: "${DNC_INSTALL_ROOT:?DNC_INSTALL_ROOT must name the install directory}"
readonly mode="${1:-install}"
checkout_owner="" checkout_repo="" checkout_ref=""
if [[ "${GITHUB_ACTION_PATH:-}" =~ /_actions/([^/]+)/([^/]+)/([^/]+)/?$ ]]; then
    checkout_owner="${BASH_REMATCH[1]}"
    checkout_repo="${BASH_REMATCH[2]}"
    checkout_ref="${BASH_REMATCH[3]}"
fi
readonly repository="${GITHUB_ACTION_REPOSITORY:-$checkout_owner/$checkout_repo}"
readonly base="${DNC_RELEASE_URL:-https://github.com/$repository/releases/download}"
readonly output="${GITHUB_OUTPUT:-/dev/null}"
readonly stamp="$DNC_INSTALL_ROOT/bin/.installed"
readonly tag_pattern='^v[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]*)?$'

fail() {
    echo "::error title=dnc install::$1"
    exit 1
}

# The version asked for: an explicit one (with or without its `v`), else the action's ref.
explicit=false
if [[ -n "${DNC_VERSION:-}" ]]; then
    explicit=true
    version="$DNC_VERSION"
    [[ "$version" =~ ^[0-9] ]] && version="v$version"
    [[ "$version" =~ $tag_pattern ]] ||
        fail "version \`$DNC_VERSION\` is not a release: write a tag such as v0.2.0, or leave version empty to use the action's own ref"
else
    version="${DNC_ACTION_REF:-$checkout_ref}"
    version="${version:-local}"
fi
readonly explicit version

release=false
[[ "$version" =~ $tag_pattern ]] && release=true

no_binary() {
    $explicit && fail "$1: version $version cannot be installed (the action builds from source only when no version is given)"
    echo "dnc: $1; building from source instead"
    echo "installed=false" >>"$output"
    exit 0
}

sha256() {
    if command -v sha256sum >/dev/null; then
        sha256sum "$1" | cut -d' ' -f1
    else
        shasum -a 256 "$1" | cut -d' ' -f1
    fi
}

exe=dnc
[[ "${RUNNER_OS:-}" == Windows ]] && exe=dnc.exe
readonly exe bin="$DNC_INSTALL_ROOT/bin"

# Done: the binary is on PATH for every later step of the job.
installed() {
    [[ -n "${GITHUB_PATH:-}" ]] && echo "$bin" >>"$GITHUB_PATH"
    echo "installed=true" >>"$output"
    exit 0
}

# Installed earlier in this job, or restored from the cache: reusable while it is the same
# version and the same bytes that were verified (or built).
present() {
    [[ -f "$stamp" && -f "$bin/$exe" ]] || return 1
    local stamped_version="" stamped_sum=""
    read -r stamped_version stamped_sum <"$stamp" || true
    [[ "$stamped_version" == "$version" && "$stamped_sum" == "$(sha256 "$bin/$exe")" ]]
}

record() {
    printf '%s %s\n' "$version" "$(sha256 "$bin/$exe")" >"$stamp"
}

case "$mode" in
    resolve)
        is_present=false
        present && is_present=true
        printf 'version=%s\nrelease=%s\npresent=%s\n' "$version" "$release" "$is_present" >>"$output"
        exit 0
        ;;
    stamp)
        [[ -f "$bin/$exe" ]] || fail "the build left no $bin/$exe"
        record
        installed
        ;;
    install) ;;
    *) fail "unknown mode \`$mode\`" ;;
esac

if present; then
    echo "dnc: $version is already installed in $bin"
    installed
fi

$release || no_binary "\`${version}\` is not a release tag"

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
actual="$(sha256 "$work/$archive")"
[[ "$actual" == "$expected" ]] ||
    fail "$archive has SHA-256 $actual but the release says $expected: not installing it"

mkdir -p "$work/unpacked" "$bin"
tar -xzf "$work/$archive" -C "$work/unpacked"
[[ -f "$work/unpacked/$exe" ]] || fail "$archive holds no $exe"
install -m 755 "$work/unpacked/$exe" "$bin/$exe"
record
"$bin/$exe" --version
installed
