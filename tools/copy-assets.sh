#!/bin/sh
# Copies the MapLibre GL JS bundle from node_modules into the (git-ignored)
# src/DisasterHub.Api/wwwroot/lib/ folder. Idempotent; run after `npm ci`.
#   sh tools/copy-assets.sh
set -eu
ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
SRC="$ROOT/node_modules/maplibre-gl/dist"
DEST="$ROOT/src/DisasterHub.Api/wwwroot/lib"
if [ ! -f "$SRC/maplibre-gl.js" ]; then
  echo "copy-assets: $SRC/maplibre-gl.js missing; run 'npm ci' in $ROOT first" >&2
  exit 1
fi
mkdir -p "$DEST"
for f in maplibre-gl.js maplibre-gl.css LICENSE.txt; do
  if [ -f "$SRC/$f" ] && ! cmp -s "$SRC/$f" "$DEST/$f" 2>/dev/null; then
    cp "$SRC/$f" "$DEST/$f"
    echo "copy-assets: $f"
  fi
done
# jsPDF (the map's PDF export, view-export.js): its browser bundle, loaded by the page only when a PDF is asked for
JSPDF="$ROOT/node_modules/jspdf/dist/jspdf.umd.min.js"
if [ -f "$JSPDF" ] && ! cmp -s "$JSPDF" "$DEST/jspdf.umd.min.js" 2>/dev/null; then
  cp "$JSPDF" "$DEST/jspdf.umd.min.js"
  cp "$ROOT/node_modules/jspdf/LICENSE" "$DEST/LICENSE-jspdf.txt" 2>/dev/null || true
  echo "copy-assets: jspdf.umd.min.js"
fi
# map file is optional (only for debugging in devtools)
if [ -f "$SRC/maplibre-gl.js.map" ] && ! cmp -s "$SRC/maplibre-gl.js.map" "$DEST/maplibre-gl.js.map" 2>/dev/null; then
  cp "$SRC/maplibre-gl.js.map" "$DEST/maplibre-gl.js.map"
fi
echo "copy-assets: $DEST up to date (maplibre-gl $(node -p "require('$ROOT/node_modules/maplibre-gl/package.json').version" 2>/dev/null || echo '?'))"
