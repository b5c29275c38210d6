#!/bin/sh
# Installs Montu Desktop for the current user, from the unpacked archive this script sits in:
# the program in ~/.local/opt/montu-desktop, the command ~/.local/bin/montu-desktop, a menu entry
# and its icon. No root needed. Running it again upgrades in place; the clinic's data (database,
# settings, logs) lives in the user's own folders and is never touched.
# MONTU_INSTALL_PREFIX overrides ~/.local; XDG_DATA_HOME is honoured for the menu entry and icons.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix="${MONTU_INSTALL_PREFIX:-$HOME/.local}"
share="${XDG_DATA_HOME:-$HOME/.local/share}"
target="$prefix/opt/montu-desktop"

if [ ! -x "$here/montu-desktop/montu-desktop" ]; then
  echo "install.sh: run me from the unpacked archive (montu-desktop/ is missing next to me)" >&2
  exit 1
fi

mkdir -p "$prefix/opt" "$prefix/bin" "$share/applications"
# Copy beside the old version first, then swap, so a failed copy leaves the old one working.
rm -rf "$target.new"
cp -R "$here/montu-desktop" "$target.new"
cp "$here/uninstall.sh" "$target.new/uninstall.sh"
rm -rf "$target"
mv "$target.new" "$target"
ln -sfn "$target/montu-desktop" "$prefix/bin/montu-desktop"

for png in "$here"/icons/montu-desktop-*.png; do
  size=$(basename "$png" .png)
  size=${size#montu-desktop-}
  mkdir -p "$share/icons/hicolor/${size}x${size}/apps"
  cp "$png" "$share/icons/hicolor/${size}x${size}/apps/montu-desktop.png"
done
mkdir -p "$share/icons/hicolor/scalable/apps"
cp "$here/icons/montu-desktop.svg" "$share/icons/hicolor/scalable/apps/montu-desktop.svg"

sed "s|@EXEC@|\"$target/montu-desktop\"|" "$here/montu-desktop.desktop.in" \
  > "$share/applications/montu-desktop.desktop"
chmod 644 "$share/applications/montu-desktop.desktop"
if command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database "$share/applications" >/dev/null 2>&1 || true
fi
if command -v gtk-update-icon-cache >/dev/null 2>&1; then
  gtk-update-icon-cache -q -t "$share/icons/hicolor" >/dev/null 2>&1 || true
fi

echo "Montu Desktop is installed in $target"
echo "Start it from the applications menu, or run: $prefix/bin/montu-desktop"
echo "Check this PC with: $prefix/bin/montu-desktop --self-test"
