#!/usr/bin/env bash
# Runs the desktop app under Xvfb and saves a screenshot of every page to
# docs/screenshots/. The data comes from the built-in demo tenant through the CLI: two
# clients, a full and an incremental sync, a dry run, a plan blocked by the deletion
# guard, and a schedule.
#
#   scripts/screenshots.sh            debug build (faster to build)
#   PROFILE=release scripts/screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out="$root/docs/screenshots"
profile=${PROFILE:-debug}

pkgs=(xvfb xauth libgl1 libegl1 libgl1-mesa-dri libx11-6 libx11-xcb1 libxcursor1 libxrandr2
      libxi6 libxkbcommon-x11-0 libfontconfig1 imagemagick xdotool curl fonts-wqy-zenhei)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "Installing: ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"

if [ "$profile" = release ]; then
    cargo build --release --locked
else
    cargo build --locked
fi
bin="$root/target/$profile/usersync"
# ImageMagick's own `import` (another `convert`/`import` may come first on the PATH).
import=/usr/bin/import

work=$(mktemp -d)
export XDG_RUNTIME_DIR="$work/runtime"
mkdir -m 700 "$XDG_RUNTIME_DIR"
export USERSYNC_DATA_DIR="$work/data"
export USERSYNC_SECRET_STORE=file
export RUST_LOG=error
demo_pid=""
cleanup() {
    for pid in $demo_pid; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    rm -rf "$work"
}
trap cleanup EXIT

# Two demo tenants on fixed ports, so the saved clients keep working in every run below.
start_demo() { # PORT USERS SEED FILE
    "$bin" demo-tenant --json --users "$2" --seed "$3" --bind "127.0.0.1:$1" > "$4" 2>/dev/null &
    demo_pid="$demo_pid $!"
    for _ in $(seq 100); do
        [ -s "$4" ] && break
        sleep 0.1
    done
}
port_a=${DEMO_PORT:-8471}
port_b=$((port_a + 1))
start_demo "$port_a" 1200 42 "$work/a.json"
start_demo "$port_b" 800 7 "$work/b.json"
field() { sed -E "s/.*\"$2\":\"([^\"]*)\".*/\1/" "$1" | head -n1; }

add_client() { # NAME CREDS-FILE [flags]
    local file=$2 url
    url=$(field "$file" authorityUrl)
    field "$file" clientSecret | "$bin" client add --name "$1" \
        --tenant-id "$(field "$file" tenantId)" --client-id "$(field "$file" clientId)" \
        --secret-stdin --cloud custom --authority-url "$url" --graph-url "$url" --validate \
        "${@:3}" >/dev/null 2>&1
}
add_client "Contoso (demo)" "$work/a.json"
add_client "Fabrikam (demo)" "$work/b.json" --azure-sso
"$bin" sync "Contoso (demo)" >/dev/null 2>&1
"$bin" sync "Fabrikam (demo)" >/dev/null 2>&1

# Change Contoso's organisation: new titles, a move to another manager, a new hire.
A="$(field "$work/a.json" authorityUrl)/_demo"
B="$(field "$work/b.json" authorityUrl)/_demo"
ids=($(curl -s "$A/users" | grep -o '"id":"[^"]*"' | cut -d'"' -f4))
for i in 3 5 8 13 21; do
    curl -s -X PATCH "$A/users/${ids[$i]}" -H 'content-type: application/json' \
        -d '{"jobTitle":"Senior Solutions Architect","officeLocation":"Building 42"}' >/dev/null
done
curl -s -X POST "$A/users/${ids[30]}/manager" -H 'content-type: application/json' \
    -d "{\"managerId\":\"${ids[2]}\"}" >/dev/null
curl -s -X POST "$A/users" -H 'content-type: application/json' \
    -d "{\"displayName\":\"Ada Lovelace\",\"jobTitle\":\"Analyst\",\"department\":\"Research\",\"managerId\":\"${ids[2]}\"}" >/dev/null
"$bin" sync "Contoso (demo)" >/dev/null 2>&1
"$bin" sync "Contoso (demo)" --dry-run >/dev/null 2>&1 || true
# Fabrikam loses a quarter of its users: the deletion guard blocks the plan (exit 3).
ids_b=($(curl -s "$B/users" | grep -o '"id":"[^"]*"' | cut -d'"' -f4))
for id in "${ids_b[@]:100:200}"; do
    curl -s -X DELETE "$B/users/$id" >/dev/null
done
"$bin" sync "Fabrikam (demo)" >/dev/null 2>&1 || true
"$bin" schedule add --client "Contoso (demo)" --name "Nightly" --cron "0 2 * * 1-5" \
    --timezone UTC >/dev/null 2>&1
"$bin" schedule add --client "Fabrikam (demo)" --name "Every 4 hours" --cron "0 */4 * * *" \
    --timezone Europe/Berlin >/dev/null 2>&1

mkdir -p "$out"
# shot PAGE FILE [steps...]: opens the app on PAGE, runs the steps (x,y clicks in window
# coordinates, "type:TEXT", "key:KEYS", "wait:SECONDS", "scroll:CLICKS"), saves the window.
shot() {
    local attempt
    for attempt in 1 2 3; do
        shot_once "$@" && return 0
        echo "retrying $2 (attempt $attempt failed)" >&2
        sleep 2
    done
    return 1
}
shot_once() {
    local page=$1 file=$2
    shift 2
    USERSYNC_START_PAGE=$page xvfb-run -a -s "-screen 0 1280x820x24" bash -c '
        bin=$1; file=$2; shift 2
        "$bin" & app=$!
        win=""
        for _ in $(seq 300); do
            win=$(xdotool search --name "^User Sync$" 2>/dev/null | head -n1) && [ -n "$win" ] && break
            sleep 0.2
        done
        if [ -z "$win" ]; then
            echo "the window did not appear" >&2
            kill $app 2>/dev/null
            exit 1
        fi
        sleep 3
        for step in "$@"; do
            case "$step" in
                type:*) xdotool windowfocus "$win"; xdotool type --delay 40 "${step#type:}" ;;
                key:*) xdotool windowfocus "$win"; xdotool key "${step#key:}" ;;
                wait:*) sleep "${step#wait:}" ;;
                scroll:*) xdotool mousemove --window "$win" 700 500 click --repeat "${step#scroll:}" --delay 60 5 ;;
                *) xdotool mousemove --window "$win" ${step/,/ } click 1 ;;
            esac
            sleep 0.7
        done
        xdotool mousemove --window "$win" 1199 779
        sleep 1
        /usr/bin/import -window "$win" "$file"
        kill $app; wait $app 2>/dev/null || true
    ' _ "$bin" "$out/$file" "$@" || return 1
    echo "saved docs/screenshots/$file" >&2
}

# Window coordinates of the clicks below match the default window size (1200x780).
shot information information.png
# Load Saved Info > Contoso (demo), then Validate & Save.
shot clients clients.png 457,82 wait:0.5 400,132 wait:1 300,500 wait:3
shot schedules schedules.png
# A wrong hour: the field is named and highlighted, Save is refused.
shot schedules schedules-invalid.png 500,116 "type:Weekdays" 500,150 key:ctrl+a \
    "type:0 25 * * 1-5" key:Return wait:0.5
# Job History: pick the incremental sync that changed titles and a manager; then its
# change list further down.
shot jobs job-history.png 600,118 wait:0.5 400,209 wait:1.5
shot jobs job-changes.png 600,118 wait:0.5 400,209 wait:1.5 scroll:3
shot directory directory.png
# Hierarchy, then open the top of the tree and one level below it.
shot directory directory-tree.png 587,82 wait:1 207,137 wait:1 227,167
# A slow tenant for a moment, so the progress shows; then Full resync and Sync now.
curl -s -X POST "$A/faults" -H 'content-type: application/json' -d '{"latencyMs":3000}' >/dev/null
shot sync sync-now.png 337,116 233,152 wait:1.5
curl -s -X POST "$A/faults" -H 'content-type: application/json' -d '{"latencyMs":0}' >/dev/null
# The light theme (the manual override, as the app itself would have saved it).
printf '{"app":"(page:Directory,theme:Light)"}' > "$USERSYNC_DATA_DIR/gui-state.ron"
shot directory directory-light.png
ls -la "$out"
