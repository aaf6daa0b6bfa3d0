#!/usr/bin/env bash
# Install the Debian packages the test suite drives (real PC/SC stack, OpenSC, openssl,
# Chromium for the browser tests — never `playwright install` —,
# and what pyscard compiles against), only when one is missing.
set -euo pipefail
packages=(pcscd vsmartcard-vpcd opensc pcsc-tools libpcsclite-dev swig openssl
  chromium fonts-ipaexfont-gothic  # browser tests: Debian's Chromium, a Japanese font
  poppler-utils libnss3-tools)  # コンビニ交付 PDFs: pdfsig/pdftotext/pdftoppm, certutil (NSS)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
