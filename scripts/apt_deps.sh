#!/usr/bin/env bash
# Install the Debian packages the workbench needs, only when one is missing.
# Idempotent: a second run with everything present does nothing and takes well under a second.
set -euo pipefail
PKGS=(fluidsynth fluid-soundfont-gm chromium chromium-driver ffmpeg)
missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "[setup] installing Debian packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
