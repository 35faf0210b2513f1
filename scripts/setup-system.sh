#!/usr/bin/env bash
# Installs the system parts copyplate needs (Debian/Ubuntu, as root). Idempotent: it asks apt
# only for packages that are missing, so a second run is a no-op that takes well under a second.
set -euo pipefail

# Tesseract language data for every sample locale: en de fr es pt pl tr ru el vi ar he ja zh ko hi th.
TESS_LANGS="eng deu fra spa por pol tur rus ell vie ara heb jpn chi-sim kor hin tha fas"
PKGS=(
  tesseract-ocr libtesseract-dev libleptonica-dev pkg-config
  fonts-noto-core fonts-noto-extra fonts-noto-cjk fontconfig
  libfribidi0 libharfbuzz0b libraqm0
  libicu-dev
  libzbar0
  chromium
  # The foreign corpus (tests/corpus/foreign.py): fonts no manifest names, and Pango.
  pango1.0-tools
  fonts-dejavu-core fonts-dejavu-extra fonts-liberation fonts-freefont-ttf fonts-urw-base35
  fonts-roboto-unhinted fonts-roboto-slab fonts-open-sans fonts-lato fonts-crosextra-carlito
  fonts-crosextra-caladea fonts-comfortaa fonts-ebgaramond fonts-sil-charis
  fonts-gfs-didot fonts-gfs-neohellenic
  fonts-hosny-amiri fonts-kacst fonts-kacst-one fonts-sil-scheherazade fonts-sil-lateef
  culmus fonts-sil-ezra
  fonts-tlwg-loma-ttf fonts-tlwg-kinnari-ttf fonts-tlwg-garuda-ttf fonts-tlwg-norasi-ttf
  fonts-tlwg-umpush-ttf fonts-tlwg-sawasdee-ttf
  fonts-lohit-deva fonts-samyak-deva fonts-sarai
  fonts-ipafont-gothic fonts-ipafont-mincho fonts-vlgothic fonts-sawarabi-mincho
  fonts-wqy-zenhei fonts-wqy-microhei fonts-arphic-ukai fonts-arphic-uming fonts-lxgw-wenkai
  fonts-nanum fonts-unfonts-core
)
for l in $TESS_LANGS; do PKGS+=("tesseract-ocr-$l"); done

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-system: all ${#PKGS[@]} system packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-system: missing packages: ${missing[*]}" >&2
  echo "setup-system: run 'sudo make setup' or install them with apt-get" >&2
  exit 1
fi

echo "setup-system: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
fc-cache -f >/dev/null 2>&1 || true
