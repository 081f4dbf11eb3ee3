#!/usr/bin/env bash
# Builds the Linux package with cargo-packager, installs it with apt/dpkg and checks it the
# way an admin uses it, then removes it again. Then, where the Rust target can be installed,
# cross-builds the Windows exe and its NSIS setup. packaging/README.md explains each check.
#
#   scripts/package-check.sh                  everything (the Windows part adds ~8 min from clean)
#   scripts/package-check.sh --skip-windows   only the Linux package (what CI runs)
#
# Needs root or sudo (apt-get, dpkg). Installs missing Debian packages and cargo-packager
# (a private copy under the target directory unless the right version is on PATH).
# Refuses to run when a usersync package is already installed; leaves none behind.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGER_VERSION=0.11.8 # the WiX and NSIS templates in packaging/windows/ match this version
WINDOWS_TARGET=x86_64-pc-windows-gnu
DEMO_USERS=500

step() { printf '\n== %s\n' "$*" >&2; }
ok() { printf '   ok: %s\n' "$*" >&2; }
fail() {
    printf 'FAIL: %s\n' "$*" >&2
    exit 1
}
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"

# --- Headless round trip, run by the main part below (inside a keyring session for "os").
# Usage: package-check.sh --round-trip DATA_DIR STORE
round_trip() {
    local dir=$1 store=$2 us=/usr/bin/usersync
    mkdir -p "$dir"
    export USERSYNC_DATA_DIR="$dir" USERSYNC_SECRET_STORE="$store"
    "$us" demo-tenant --json --users "$DEMO_USERS" >"$dir/demo.json" 2>"$dir/demo.log" &
    demo_pid=$!
    trap 'kill "$demo_pid" 2>/dev/null || true' EXIT
    for _ in $(seq 1 100); do
        [ -s "$dir/demo.json" ] && break
        kill -0 "$demo_pid" 2>/dev/null || fail "demo-tenant exited: $(cat "$dir/demo.log")"
        sleep 0.1
    done
    local creds
    creds="$(head -n 1 "$dir/demo.json")"
    [ -n "$creds" ] || fail "demo-tenant printed no credentials"
    field() { jq -er ".$1" <<<"$creds"; }
    ok "demo tenant up at $(field graphUrl) ($DEMO_USERS users)"

    jq -j .clientSecret <<<"$creds" | "$us" client add --name "Demo tenant" \
        --tenant-id "$(field tenantId)" --client-id "$(field clientId)" --secret-stdin \
        --cloud custom --authority-url "$(field authorityUrl)" --graph-url "$(field graphUrl)" \
        --validate >"$dir/add.log" 2>&1 || fail "client add --validate: $(cat "$dir/add.log")"
    ok "client add --validate ($(tail -n 1 "$dir/add.log"))"

    local show
    show="$("$us" --json client show "Demo tenant")"
    [ "$(jq -r .secretStored <<<"$show")" = true ] || fail "no secret stored: $show"
    case "$store:$(jq -r .secretStore <<<"$show")" in
    os:*file*) fail "the secret went to the file store, not the keyring: $show" ;;
    file:*file*) ;;
    file:*) fail "the secret is not in the file store: $show" ;;
    esac
    ok "secret kept in: $(jq -r .secretStore <<<"$show")"

    "$us" sync "Demo tenant" >"$dir/sync1.log" 2>&1 || fail "first sync: $(cat "$dir/sync1.log")"
    "$us" sync "Demo tenant" >"$dir/sync2.log" 2>&1 || fail "second sync: $(cat "$dir/sync2.log")"
    local jobs kinds
    jobs="$("$us" --json jobs list --client "Demo tenant")"
    kinds="$(jq -r '[.jobs[] | "\(.kind):\(.status)"] | sort | join(" ")' <<<"$jobs")"
    [ "$kinds" = "full:succeeded incremental:succeeded" ] || fail "jobs: $kinds"
    ok "sync: a full and an incremental job succeeded"

    local users
    users="$("$us" directory list "Demo tenant" --format json | jq '.users | length')"
    [ "$users" = "$DEMO_USERS" ] || fail "directory has $users users, expected $DEMO_USERS"
    ok "directory list: $users users"

    "$us" client remove "Demo tenant" >"$dir/remove.log" 2>&1 || fail "client remove: $(cat "$dir/remove.log")"
    ok "client remove (and its secret)"
    kill "$demo_pid"
    wait "$demo_pid" 2>/dev/null || true
    trap - EXIT
}
if [ "${1:-}" = "--round-trip" ]; then
    round_trip "$2" "$3"
    exit 0
fi

skip_windows=0
case "${1:-}" in
"") ;;
--skip-windows) skip_windows=1 ;;
*)
    echo "usage: $0 [--skip-windows]" >&2
    exit 2
    ;;
esac

SECONDS=0
declare -a timings=()
lap_start=0
lap() { # lap NAME: records the time since the previous lap
    timings+=("$(printf '%-40s %4d s' "$1" $((SECONDS - lap_start)))")
    lap_start=$SECONDS
}

install_missing() { # install_missing PKG...: apt-get install what is not installed yet
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    echo "Installing: ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

step "Set up"
scripts/setup.sh --test
# shellcheck disable=SC1091
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
install_missing jq file binutils desktop-file-utils appstream xvfb xauth x11-utils libgl1-mesa-dri
if dpkg-query -W -f='${Status}' usersync 2>/dev/null | grep -q "ok installed"; then
    fail "a usersync package is already installed; remove it first (dpkg -r usersync)"
fi
[ -e /usr/bin/usersync ] && fail "/usr/bin/usersync exists but belongs to no usersync package"

meta="$(cargo metadata --no-deps --format-version 1 --locked)"
version="$(jq -r '.packages[] | select(.name == "usersync") | .version' <<<"$meta")"
description="$(jq -r '.packages[] | select(.name == "usersync") | .description' <<<"$meta")"
target_dir="$(jq -r .target_directory <<<"$meta")"

# cargo-packager: the one on PATH when it is this version, else a private copy in the target
# directory. That copy is a debug build (it installs in ~1.5 min instead of ~3.5 on 2 cores
# and still packages in seconds), and it is built alongside the release build below.
packager=(cargo packager)
install_pid=""
if [ "$(cargo packager --version 2>/dev/null || true)" != "cargo-packager $PACKAGER_VERSION" ]; then
    root="$target_dir/tools/cargo-packager-$PACKAGER_VERSION"
    packager=("$root/bin/cargo-packager")
    if [ "$("${packager[@]}" --version 2>/dev/null || true)" != "cargo-packager $PACKAGER_VERSION" ]; then
        echo "Installing cargo-packager $PACKAGER_VERSION into $root, alongside the release build" >&2
        mkdir -p "$root"
        cargo install cargo-packager --version "$PACKAGER_VERSION" --locked --debug --quiet \
            --root "$root" --target-dir "$root/build" >"$root/install.log" 2>&1 &
        install_pid=$!
        trap 'kill "$install_pid" 2>/dev/null || true' EXIT
    fi
fi
ok "usersync $version"
lap "set up (apt)"

step "Build the .deb (cargo build --release, cargo packager --release -f deb)"
# cargo packager runs this build itself first (its before-packaging-command); running it here
# lets the cargo-packager install above use the cores this build leaves idle.
cargo build --release --locked
if [ -n "$install_pid" ]; then
    wait "$install_pid" || {
        cat "$root/install.log" >&2
        fail "cargo install cargo-packager"
    }
    trap - EXIT
    rm -rf "$root/build"
fi
ok "$("${packager[@]}" --version)"
"${packager[@]}" --release -f deb
deb="$target_dir/release/usersync_${version}_amd64.deb"
[ -f "$deb" ] || fail "no $deb"
ok "$(basename "$deb"): $(stat -c %s "$deb") bytes"
lap "release build (+ cargo-packager) + .deb"

step "Inspect the .deb"
[ "$(dpkg-deb -f "$deb" Package)" = usersync ] || fail "Package: $(dpkg-deb -f "$deb" Package)"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "Version: $(dpkg-deb -f "$deb" Version)"
[ "$(dpkg-deb -f "$deb" Description | head -n 1)" = "$description" ] || fail "Description differs from Cargo.toml"
depends="$(dpkg-deb -f "$deb" Depends)"
for lib in libc6 libx11-6 libx11-xcb1 libxcursor1 libxrandr2 libxi6 libxkbcommon-x11-0 \
    libwayland-client0 libgl1 libegl1 libfontconfig1; do
    grep -qE "(^|, )$lib( |,|$)" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
ok "control: usersync $version, Depends: $depends"
contents="$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's:^\./::')"
for f in usr/bin/usersync usr/share/applications/usersync.desktop \
    usr/share/metainfo/org.usersync.UserSync.metainfo.xml \
    usr/share/icons/hicolor/scalable/apps/usersync.svg \
    lib/systemd/system/usersync-scheduler.service; do
    grep -qxF "$f" <<<"$contents" || fail "the .deb lacks $f"
done
ok "$(dpkg-deb -c "$deb" | grep -c '^-') files, including the binary, desktop entry, metainfo, icons, systemd unit"
tree="$(mktemp -d)"
dpkg-deb -x "$deb" "$tree"
appstreamcli validate-tree --no-net "$tree" >"$tree.log" 2>&1 || {
    cat "$tree.log" >&2
    fail "appstreamcli validate-tree"
}
ok "appstreamcli validate-tree: metainfo, desktop entry and icon fit together"
rm -rf "$tree" "$tree.log"
lap "inspect"

step "Install it (apt-get install ./usersync_${version}_amd64.deb)"
work="$(mktemp -d)"
installed=0
cleanup() {
    if [ "$installed" = 1 ]; then
        echo "Removing the usersync package" >&2
        $sudo dpkg --purge usersync >/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
installed=1
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$deb" >/dev/null 2>"$work/apt.log" || {
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$deb" >/dev/null
}
dpkg-query -W -f='${Status} ${Version}' usersync | grep -q "install ok installed $version" || fail "not installed"
[ "$(command -v usersync)" = /usr/bin/usersync ] || fail "usersync on PATH is $(command -v usersync)"
ok "installed: $(dpkg-query -W -f='${Package} ${Version}' usersync), /usr/bin/usersync"
lap "install (with dependencies)"

step "The installed binary"
out="$(/usr/bin/usersync --version)"
[ "$out" = "usersync $version" ] || fail "--version printed '$out'"
ok "--version: $out"
help="$(/usr/bin/usersync --help)"
for cmd in client sync jobs directory schedule scheduler demo-tenant; do
    grep -qE "^  $cmd " <<<"$help" || fail "--help does not list $cmd"
done
ok "--help lists client, sync, jobs, directory, schedule, scheduler, demo-tenant"
file -b /usr/bin/usersync | grep -q ", stripped" || fail "not stripped: $(file -b /usr/bin/usersync)"
linux_size=$(stat -c %s /usr/bin/usersync)
ok "stripped ELF, $linux_size bytes"
need_glibc="$(objdump -T /usr/bin/usersync | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)"
declared_glibc="$(sed -n 's/.*libc6 (>= \([0-9.]*\)).*/\1/p' <<<"$depends")"
[ "$(printf '%s\n%s\n' "$need_glibc" "$declared_glibc" | sort -V | tail -n 1)" = "$declared_glibc" ] ||
    fail "the binary needs glibc $need_glibc, the package declares libc6 (>= $declared_glibc)"
ok "needs glibc $need_glibc; Depends says libc6 (>= $declared_glibc)"
lap "version, help, binary"

step "Headless round trip, secrets in the keyring (Secret Service in a private D-Bus session)"
scripts/with-keyring.sh "$0" --round-trip "$work/keyring" os
step "Headless round trip, secrets in the opt-in file store (as the systemd service runs)"
"$0" --round-trip "$work/file" file
lap "round trips (keyring, file store)"

step "The desktop app opens a window (Xvfb)"
export XDG_RUNTIME_DIR="$work/xdg"
mkdir -m 700 "$XDG_RUNTIME_DIR"
open_window() { # starts the app under Xvfb and records its window and icon
    # shellcheck disable=SC2016 # the inner script expands its own variables
    xvfb-run -a -s "-screen 0 1280x800x24" bash -c '
        /usr/bin/usersync --data-dir "$1/gui" >"$1/gui.log" 2>&1 &
        app=$!
        for _ in $(seq 1 150); do
            xwininfo -root -tree 2>/dev/null | grep -F "\"User Sync\"" >"$1/window" && break
            kill -0 "$app" 2>/dev/null || break
            sleep 0.1
        done
        sleep 1
        wid="$(awk "{print \$1; exit}" "$1/window")"
        [ -n "$wid" ] && xprop -id "$wid" -f _NET_WM_ICON 32c " = \$0, \$1" _NET_WM_ICON >"$1/icon"
        alive=0; kill -0 "$app" 2>/dev/null && alive=1
        kill "$app" 2>/dev/null; wait "$app" 2>/dev/null
        [ "$alive" = 1 ] && [ -s "$1/window" ]' gui "$work"
}
# One retry: on a loaded machine the app once failed to connect to a just-started Xvfb.
open_window || { echo "   (no window on the first try; trying once more)" >&2 && open_window; } || {
    cat "$work/gui.log" >&2
    fail "no window titled \"User Sync\""
}
# WM_CLASS is ("instance" "class"); desktops match StartupWMClass against the class.
grep -qF ' "usersync")' "$work/window" || fail "WM_CLASS class is not usersync: $(cat "$work/window")"
grep -q '= 256, 256$' "$work/icon" || fail "the window has no 256 px icon: $(cat "$work/icon")"
ok "window \"User Sync\" with WM_CLASS class usersync (the desktop entry's StartupWMClass) and the 256 px icon"
lap "desktop app under Xvfb"

step "Desktop integration"
desktop=/usr/share/applications/usersync.desktop
desktop-file-validate "$desktop" || fail "desktop-file-validate $desktop"
for line in "Name=User Sync" "Exec=usersync" "Icon=usersync" "Comment=$description" "StartupWMClass=usersync"; do
    grep -qxF "$line" "$desktop" || fail "$desktop lacks '$line'"
done
ok "$desktop: valid; Exec=usersync, Icon=usersync, Comment = the Cargo.toml description"
for size in 16 22 24 32 48 64 128 256 512; do
    icon=/usr/share/icons/hicolor/${size}x${size}/apps/usersync.png
    [ -f "$icon" ] || fail "no $icon"
    file -b "$icon" | grep -q "PNG image data, $size x $size" || fail "$icon: $(file -b "$icon")"
done
[ -f /usr/share/icons/hicolor/scalable/apps/usersync.svg ] || fail "no scalable icon"
ok "icons: hicolor 16…512 px PNG and scalable SVG"
metainfo=/usr/share/metainfo/org.usersync.UserSync.metainfo.xml
appstreamcli validate --no-net "$metainfo" >/dev/null || fail "appstreamcli validate $metainfo"
release="$(grep -o '<release version="[^"]*"' "$metainfo" | head -n 1 | cut -d'"' -f2)"
[ "$release" = "$version" ] || fail "$metainfo: newest release $release, Cargo.toml says $version (add a <release>)"
summary="$(sed -n 's:.*<summary>\(.*\)</summary>.*:\1:p' "$metainfo" | head -n 1 | sed "s/&apos;/'/g")"
[ "$summary" = "$description" ] || fail "$metainfo: summary differs from the Cargo.toml description"
ok "$metainfo: valid; release $release and summary match Cargo.toml"
unit=/lib/systemd/system/usersync-scheduler.service
cmp -s "$unit" packaging/systemd/usersync-scheduler.service || fail "$unit differs from packaging/systemd/"
if compgen -G "/etc/systemd/system/*.wants/usersync-scheduler.service" >/dev/null; then
    fail "usersync-scheduler.service is enabled; the package must leave it disabled"
fi
verified=""
if command -v systemd-analyze >/dev/null; then
    systemd-analyze verify "$unit" || fail "systemd-analyze verify $unit"
    verified=", systemd-analyze verify passes"
fi
ok "$unit shipped (as in packaging/systemd/), not enabled$verified"
lap "desktop entry, icons, metainfo, unit"

step "Remove it (dpkg --purge usersync)"
$sudo dpkg --purge usersync >/dev/null
installed=0
dpkg-query -W -f='${Status}' usersync 2>/dev/null | grep -q "ok installed" && fail "still installed"
for f in /usr/bin/usersync "$desktop" "$metainfo" "$unit" /usr/share/icons/hicolor/256x256/apps/usersync.png; do
    [ -e "$f" ] && fail "$f is left after removal"
done
ok "removed; no files left"
lap "remove"

windows_size=""
setup=""
windows_note=""
if [ "$skip_windows" = 1 ]; then
    windows_note="skipped (--skip-windows)"
elif ! { rustup target list --installed 2>/dev/null | grep -qx "$WINDOWS_TARGET" ||
    rustup target add "$WINDOWS_TARGET" >/dev/null 2>&1; }; then
    windows_note="NOT BUILT: the Rust target $WINDOWS_TARGET cannot be installed on this machine (rustup target add failed), so there is no Windows exe or NSIS setup from this run"
elif ! install_missing gcc-mingw-w64-x86-64-posix binutils-mingw-w64-x86-64 nsis p7zip-full icoutils; then
    windows_note="NOT BUILT: the MinGW-w64 cross compiler or NSIS cannot be installed with apt-get here"
else
    step "Windows: cross-build usersync.exe (--target $WINDOWS_TARGET, Debian's MinGW-w64)"
    export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc-posix
    cargo build --release --locked --target "$WINDOWS_TARGET"
    out_dir="$target_dir/$WINDOWS_TARGET/release"
    exe="$out_dir/usersync.exe"
    pe="$(x86_64-w64-mingw32-objdump -p "$exe")"
    grep -qE '^Subsystem[[:space:]]+00000002' <<<"$pe" || fail "usersync.exe is not a GUI-subsystem exe"
    grep -qw AttachConsole <<<"$pe" || fail "usersync.exe does not import AttachConsole"
    windows_size=$(stat -c %s "$exe")
    ok "usersync.exe: PE32+, subsystem 2 (Windows GUI), imports AttachConsole; $windows_size bytes"
    # build.rs embeds the icon and a version resource (what Explorer and inventory tools read).
    resources="$(wrestool -l "$exe")"
    grep -q "type=group_icon" <<<"$resources" || fail "usersync.exe has no icon resource"
    grep -q "type=version" <<<"$resources" || fail "usersync.exe has no version resource"
    file_version="$(wrestool -x --raw -t 16 "$exe" | iconv -f UTF-16LE -t UTF-8 2>/dev/null |
        tr -c '[:print:]' '\n' | awk 'seen && /^[0-9]/ { print; exit } $0 == "FileVersion" { seen = 1 }')"
    [ "$file_version" = "$version" ] || fail "usersync.exe FileVersion is '$file_version', Cargo.toml says $version"
    ok "usersync.exe carries the app icon and FileVersion $file_version"
    lap "Windows cross build"

    step "Windows: NSIS setup (makensis packaging/windows/usersync.nsi)"
    setup="$out_dir/usersync_${version}_x64-setup.exe"
    numeric="${version%%[-+]*}"
    makensis -V2 -DVERSION="$version" -DVERSIONWITHBUILD="$numeric.0" -DDESCRIPTION="$description" \
        -DEXE="$exe" -DICON="$PWD/icons/usersync.ico" -DSRCDIR="$PWD" -DOUTFILE="$setup" -DUNINSTSIGN= \
        packaging/windows/usersync.nsi >&2
    listing="$(7z l "$setup")"
    for f in usersync.exe usersync.ico usersync-scheduler-task.xml uninstall.exe; do
        grep -qE "[[:space:]]$f\$" <<<"$listing" || fail "the setup lacks $f"
    done
    7z e -so "$setup" usersync.exe 2>/dev/null | cmp -s - "$exe" || fail "the setup's usersync.exe differs from the build"
    7z e -so "$setup" usersync-scheduler-task.xml 2>/dev/null |
        cmp -s - packaging/windows/usersync-scheduler-task.xml || fail "the setup's task XML differs"
    ok "$(basename "$setup"): $(stat -c %s "$setup") bytes; holds usersync.exe (identical), usersync.ico, usersync-scheduler-task.xml, uninstall.exe"
    lap "NSIS setup"
fi

step "Summary"
printf '%s\n' "${timings[@]}" >&2
printf '%-40s %4d s\n' "total" "$SECONDS" >&2
echo "Linux package:   $(basename "$deb") — built, installed, checked, removed" >&2
echo "Release binary:  usersync (Linux x86_64, stripped) $linux_size bytes" >&2
if [ -n "$windows_size" ]; then
    echo "Windows exe:     usersync.exe ($WINDOWS_TARGET, stripped) $windows_size bytes" >&2
    echo "NSIS setup:      $setup" >&2
else
    echo "Windows:         $windows_note" >&2
fi
