#!/bin/sh
# Removes Montu Desktop installed for the current user by install.sh (same prefix settings).
# The clinic's data stays: the embedded database, settings and logs are in the user's folders.
set -eu
prefix="${MONTU_INSTALL_PREFIX:-$HOME/.local}"
share="${XDG_DATA_HOME:-$HOME/.local/share}"

rm -rf "$prefix/opt/montu-desktop"
if [ -L "$prefix/bin/montu-desktop" ]; then
  rm -f "$prefix/bin/montu-desktop"
fi
rm -f "$share/applications/montu-desktop.desktop"
rm -f "$share"/icons/hicolor/*/apps/montu-desktop.png "$share/icons/hicolor/scalable/apps/montu-desktop.svg"
if command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database "$share/applications" >/dev/null 2>&1 || true
fi
echo "Montu Desktop is removed. The clinic's data and logs were kept."
