#!/usr/bin/env bash
# Installs everything OneMap needs on a Debian machine, idempotently: Debian packages, then .venv at the
# repository root with the project and its test tools. Safe to run again; it only does what is missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

apt_packages=(
  # Python's venv (every Python dependency installs from a wheel: no compiler needed), and the CA
  # certificates pip's downloads are checked against
  python3-venv ca-certificates
  # real windows under Xvfb, two monitors through RandR (../shared/STACK-NOTES.md)
  xvfb x11-xserver-utils xdotool
  # TLS tests make a certificate with the openssl command
  openssl
  # the IANA time zones a city pack names (city.json "timezone": a centre's day for incident numbers)
  tzdata
  libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxkbcommon-x11-0 libxcb-image0
  libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libpulse0 libegl1 libgl1
  libfontconfig1 fonts-noto-cjk
  # video: libvlc, VLC as a loopback test stream server, ffmpeg for test media
  libvlc5 vlc-plugin-base vlc-plugin-video-output vlc-bin ffmpeg
  # headless Chromium renders exported HTML in tests
  chromium
  # PostgreSQL 15, the event store of several servers (issue #13); the tests start their own cluster
  postgresql
)
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "installing Debian packages: ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3
[ -x .venv/bin/python ] || "$python" -m venv .venv
# Reinstall only when the declared dependencies changed.
stamp=.venv/.onemap-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[test]"
  echo "$want" > "$stamp"
fi

# FreeTAKServer, a real TAK server the CoT gateway's tests talk to (tests/support/fts.py), in a venv of its
# own: its pins are not OneMap's. opentelemetry 1.24 or its CoT service never opens its port
# (../shared/STACK-NOTES.md).
fts_want="FreeTAKServer==2.2.1 opentelemetry-sdk==1.24.0 opentelemetry-api==1.24.0"
fts_stamp=.venv-fts/.onemap-installed
if [ "$(cat "$fts_stamp" 2>/dev/null)" != "$fts_want" ]; then
  [ -x .venv-fts/bin/python ] || "$python" -m venv .venv-fts
  .venv-fts/bin/python -m pip install -q $fts_want
  echo "$fts_want" > "$fts_stamp"
fi
