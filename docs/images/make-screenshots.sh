#!/usr/bin/env bash
# The screenshots of docs/site.md: the examples' site in headless Chromium.
# Run from the repository root: docs/images/make-screenshots.sh
set -euo pipefail
site="$(mktemp -d)/site"
postmortem site examples --output "$site" --today 2026-11-28
for page in index.html:site-home incidents/pm-2024-007.html:site-document; do
    profile="$(mktemp -d)"
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$profile" --hide-scrollbars --window-size=1280,960 \
        --virtual-time-budget=5000 --screenshot="docs/images/${page#*:}.png" \
        "file://$site/${page%%:*}"
    rm -rf "$profile"
done
