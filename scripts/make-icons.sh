#!/usr/bin/env bash
# Makes every app icon from the one source image, icons/usersync.svg:
#   icons/usersync-{16,22,24,32,48,64,128,256,512}.png  Linux (hicolor theme) and the window
#   icons/usersync.ico                                  Windows (16–64 px, 256 px as PNG)
#   icons/usersync.icns                                 macOS (PNG entries, 16–1024 px)
# Run it after changing the SVG and commit the results; builds and CI use the committed
# files and never run this. Needs rsvg-convert (librsvg2-bin) and icotool (icoutils).
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in rsvg-convert icotool; do
    if ! command -v "$tool" >/dev/null; then
        echo "$tool is missing: apt-get install librsvg2-bin icoutils" >&2
        exit 1
    fi
done

src=icons/usersync.svg
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

png() { # png SIZE OUT
    rsvg-convert --width "$1" --height "$1" --keep-aspect-ratio --format png -o "$2" "$src"
}

# Linux: the sizes desktops look up in /usr/share/icons/hicolor/<size>x<size>/apps/.
for size in 16 22 24 32 48 64 128 256 512; do
    png "$size" "icons/usersync-$size.png"
done

# Windows: classic BMP entries up to 64 px, the 256 px entry stored as PNG (Vista and later).
for size in 16 24 32 48 64 256; do
    png "$size" "$tmp/ico-$size.png"
done
icotool --create --output icons/usersync.ico \
    "$tmp/ico-16.png" "$tmp/ico-24.png" "$tmp/ico-32.png" "$tmp/ico-48.png" "$tmp/ico-64.png" \
    --raw="$tmp/ico-256.png"

# macOS: an .icns container of PNG entries (the format iconutil writes): 'icns', the total
# length, then per entry a 4-letter type, its length (8 + data) and the PNG data, all
# lengths big-endian.
be32() {
    local n=$1
    printf '%b' "$(printf '\\x%02x' $(((n >> 24) & 255)) $(((n >> 16) & 255)) $(((n >> 8) & 255)) $((n & 255)))"
}
entries=(icp4:16 icp5:32 ic11:32 icp6:64 ic12:64 ic07:128 ic13:256 ic08:256 ic14:512 ic09:512 ic10:1024)
body="$tmp/icns-body"
: >"$body"
for entry in "${entries[@]}"; do
    type=${entry%%:*}
    size=${entry##*:}
    [ -f "$tmp/icns-$size.png" ] || png "$size" "$tmp/icns-$size.png"
    len=$(($(stat -c %s "$tmp/icns-$size.png") + 8))
    { printf %s "$type"; be32 "$len"; cat "$tmp/icns-$size.png"; } >>"$body"
done
{ printf icns; be32 $(($(stat -c %s "$body") + 8)); cat "$body"; } >icons/usersync.icns

ls -l icons/
