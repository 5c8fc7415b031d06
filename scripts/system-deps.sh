#!/usr/bin/env bash
# The Debian packages the test suite needs: Java (EPUBCheck, the Nu checker), Chromium
# (browser tests and Ace, never a downloaded browser), calibre (the Kindle check), Noto
# CJK (OFL: the drawn cover of a book without a cover picture, legible screenshots), npm.
# Installs what is missing when run as root; otherwise says what to install.
set -euo pipefail
missing=()
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
[ -x /usr/bin/chromium ] || missing+=(chromium)
# fc-list's output is taken whole before it is searched: `fc-list | grep -q` under pipefail
# fails at random, when grep exits at its first match and fc-list dies of SIGPIPE
fonts=$(fc-list 2>/dev/null || true)
case "${fonts,,}" in *"noto serif cjk"*) ;; *) missing+=(fonts-noto-cjk) ;; esac
command -v npm >/dev/null 2>&1 || missing+=(npm)
# calibre: `check --target kindle` and the suite read and convert the EPUB with it
command -v ebook-convert >/dev/null 2>&1 || missing+=(calibre)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing system packages; run: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
