#!/usr/bin/env bash
# Builds the installed build of Montu Desktop on Linux and checks it:
#   1. sets up the machine (scripts/bootstrap: Qt's libraries, binutils, the venv with PyInstaller),
#   2. builds the one-folder bundle with packaging/montu-desktop.spec,
#   3. checks the Qt plugins are inside and that `montu-desktop --self-test` passes,
#   4. packs the per-user installer archive montu-desktop-<version>-linux-<arch>.tar.gz.
# Output goes to dist/ (override with MONTU_DIST_DIR; PyInstaller's scratch space: MONTU_WORK_DIR).
# Options: --no-bootstrap (the machine is already set up), --no-archive (bundle only).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"

bootstrap=1 archive=1
for arg in "$@"; do
  case "$arg" in
    --no-bootstrap) bootstrap=0 ;;
    --no-archive) archive=0 ;;
    *) echo "usage: packaging/build.sh [--no-bootstrap] [--no-archive]" >&2; exit 2 ;;
  esac
done

[ "$bootstrap" = 1 ] && ./scripts/bootstrap
if ! command -v objdump >/dev/null 2>&1; then
  echo "PyInstaller needs objdump: install binutils (apt-get install binutils)" >&2
  exit 1
fi
if ! .venv/bin/python -c "import PyInstaller" 2>/dev/null; then
  echo "PyInstaller is not in .venv: run ./scripts/bootstrap (it installs the dev tools)" >&2
  exit 1
fi

DIST="${MONTU_DIST_DIR:-$ROOT/dist}"
WORK="${MONTU_WORK_DIR:-$ROOT/build/pyinstaller}"
VERSION="$(.venv/bin/python -c 'import montu_desktop; print(montu_desktop.__version__)')"
BUNDLE="$DIST/montu-desktop"

echo "== building Montu Desktop $VERSION into $BUNDLE"
started=$(date +%s)
.venv/bin/pyinstaller --noconfirm --log-level WARN --distpath "$DIST" --workpath "$WORK" \
  packaging/montu-desktop.spec
echo "built in $(( $(date +%s) - started )) s"

echo "== checking the Qt plugins"
plugins="$BUNDLE/_internal/PySide6/Qt/plugins"
missing=""
for plugin in platforms/libqoffscreen.so platforms/libqxcb.so platforms/libqwayland.so \
  imageformats/libqsvg.so imageformats/libqico.so iconengines/libqsvgicon.so \
  printsupport/libcupsprintersupport.so xcbglintegrations/libqxcb-glx-integration.so; do
  [ -f "$plugins/$plugin" ] || missing="$missing $plugin"
done
for data in db/env.py resources/icons/montu-desktop-256.png resources/styles/montu.qss; do
  [ -f "$BUNDLE/_internal/$data" ] || missing="$missing $data"
done
if [ -n "$missing" ]; then
  echo "the bundle lacks:$missing" >&2
  exit 1
fi

echo "== self-test of the bundle"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
# A private home for the check, so the builder's own log and settings stay untouched.
env -u QT_QPA_PLATFORM XDG_DATA_HOME="$scratch/data" XDG_STATE_HOME="$scratch/state" \
  XDG_CONFIG_HOME="$scratch/config" XDG_CACHE_HOME="$scratch/cache" \
  "$BUNDLE/montu-desktop" --self-test
echo "bundle size: $(du -sh "$BUNDLE" | cut -f1)"

if [ "$archive" = 1 ]; then
  name="montu-desktop-$VERSION-linux-$(uname -m)"
  stage="$scratch/$name"
  mkdir -p "$stage/icons"
  cp -a "$BUNDLE" "$stage/montu-desktop"
  cp packaging/linux/install.sh packaging/linux/uninstall.sh packaging/linux/montu-desktop.desktop.in \
    packaging/linux/README.txt "$stage/"
  cp resources/icons/montu-desktop.svg resources/icons/montu-desktop-*.png "$stage/icons/"
  tar -C "$scratch" -czf "$DIST/$name.tar.gz" "$name"
  echo "installer archive: $DIST/$name.tar.gz ($(du -h "$DIST/$name.tar.gz" | cut -f1))"
fi
