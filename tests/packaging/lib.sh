# shellcheck shell=bash
# Shared pieces of the host-side package checks (sourced): TAP-like lines, a
# summary the test command counts, and running a command as an unprivileged
# build user.

PKG_PASSED=0
PKG_FAILED=0
REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# The build user: makepkg refuses to run as root, and lintian advises
# against it. nobody owns nothing on the host; what it must write (the
# build directories, the cargo target directory) is handed to it for the
# duration and taken back.
BUILD_USER=nobody
BUILD_GROUP=nogroup

ok() {
    echo "ok - $1"
    PKG_PASSED=$((PKG_PASSED + 1))
}

not_ok() {
    echo "not ok - $1"
    PKG_FAILED=$((PKG_FAILED + 1))
}

# check NAME COMMAND...: one line from a command's status; its output is kept
# in $PKG_LOG and shown when it fails.
check() {
    local name=$1
    shift
    if "$@" >"$PKG_LOG" 2>&1; then
        ok "$name"
    else
        not_ok "$name"
        sed 's/^/#   /' "$PKG_LOG" | tail -30
    fi
}

# guest_run NAME RUN.SH-ARGS...: one guest boot; its checks count as ours,
# its own summary line becomes a comment, and a boot that fails without a
# summary counts as one failure.
guest_run() {
    local name=$1 status summary passed failed
    shift
    echo "# === $name"
    "$REPO_DIR/tests/guest/run.sh" "$@" 2>&1 | tee "$PKG_LOG" |
        sed -u -E 's/^(guest: [0-9]+ passed, [0-9]+ failed)$/# run total: \1/'
    status=${PIPESTATUS[0]}
    summary=$(grep -E '^guest: [0-9]+ passed, [0-9]+ failed$' "$PKG_LOG" | tail -1)
    if [ -n "$summary" ]; then
        read -r passed failed < <(echo "$summary" | awk '{print $2, $4}')
        PKG_PASSED=$((PKG_PASSED + passed))
        PKG_FAILED=$((PKG_FAILED + failed))
        [ "$failed" != 0 ] || [ "$status" = 0 ] || not_ok "$name: guest exited with status $status"
    else
        not_ok "$name: guest run completed (status $status)"
    fi
}

summary() {
    echo "packaging: $PKG_PASSED passed, $PKG_FAILED failed"
    [ "$PKG_FAILED" = 0 ]
}

# as_build_user ENV... -- COMMAND...: run COMMAND as $BUILD_USER with only
# the given environment (plus HOME, CARGO_HOME and PATH with the Rust
# toolchain), in a private mount namespace that shows it root's toolchain
# and cargo registry read-only at their usual paths: cargo's fingerprints
# name the registry's source paths, so a target directory root built is
# reused only when they are the same. A directory on the way that the build
# user may not enter (root's home) gets an empty tmpfs over it, and
# CARGO_HOME a writable one (cargo keeps its lock files there). Nothing
# outlives the command: the namespace ends with it.
as_build_user() {
    local env=() sysroot cargo_home
    while [ "$1" != -- ]; do env+=("$1"); shift; done
    shift
    sysroot=$(rustc --print sysroot)
    cargo_home=${CARGO_HOME:-$HOME/.cargo}
    mkdir -p "$PKG_WORK/home" "$PKG_WORK/mnt/registry" "$PKG_WORK/mnt/toolchain"
    chown "$BUILD_USER:$BUILD_GROUP" "$PKG_WORK/home"
    unshare --mount --propagation private -- bash -c '
        set -e
        work=$1 sysroot=$2 cargo_home=$3 user=$4 group=$5
        shift 5
        as_user() { setpriv --reuid="$user" --regid="$group" --clear-groups -- "$@"; }
        mount --bind -o ro "$cargo_home/registry" "$work/mnt/registry"
        mount --bind -o ro "$sysroot" "$work/mnt/toolchain"
        path=""
        IFS=/ read -ra parts <<<"${cargo_home#/}"
        for part in "${parts[@]}"; do
            path="$path/$part"
            [ "$path" != "$cargo_home" ] || break
            if ! as_user test -x "$path"; then
                mount -t tmpfs -o mode=755 rs-pppoe-build "$path"
                break
            fi
        done
        mkdir -p "$cargo_home"
        mount -t tmpfs -o mode=755 rs-pppoe-build "$cargo_home"
        chown "$user:$group" "$cargo_home"
        mkdir "$cargo_home/registry"
        mount --bind "$work/mnt/registry" "$cargo_home/registry"
        if ! as_user test -x "$sysroot/bin/cargo"; then
            mkdir -p "$sysroot"
            mount --bind "$work/mnt/toolchain" "$sysroot"
        fi
        exec setpriv --reuid="$user" --regid="$group" --clear-groups -- \
            env -i CARGO_HOME="$cargo_home" PATH="$sysroot/bin:/usr/local/bin:/usr/bin:/bin" "$@"
    ' as-build-user "$PKG_WORK" "$sysroot" "$cargo_home" "$BUILD_USER" "$BUILD_GROUP" \
        HOME="$PKG_WORK/home" LANG=C.UTF-8 "${env[@]}" "$@"
}
