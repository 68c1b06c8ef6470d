#!/usr/bin/env bash
# Runs the headless-browser test of the tagtog emulator's web page
# (test/browser): installs Debian's chromium when no Chromium is on PATH, runs
# the test against the whole stack in one process, and prints where the
# screenshot of the document page was written.
#
#   scripts/browser-test.sh [extra go test flags]
#
# SCREENSHOT=path changes where the screenshot goes
# (default artifacts/browser/emulator-page.png at the repository root).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shot=${SCREENSHOT:-$root/artifacts/browser/emulator-page.png}
case $shot in /*) ;; *) shot=$PWD/$shot ;; esac

have_chromium() {
	command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 ||
		command -v google-chrome-stable >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1
}

if ! have_chromium; then
	echo "browser-test: chromium not found; installing Debian's chromium" >&2
	sudo=""
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null 2>&1 || { echo "browser-test: need root or sudo to install chromium" >&2; exit 1; }
		sudo=sudo
	fi
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
	have_chromium || { echo "browser-test: chromium still not found after installing it" >&2; exit 1; }
fi

rm -f "$shot"
cd "$root/test/browser"
go test -race -count=1 -v -run '^TestEmulatorPage' "$@" . -args -screenshot "$shot"

# The test skips without a browser; here one was found, so a missing
# screenshot means it did not run to the end.
if [ ! -s "$shot" ]; then
	echo "browser-test: no screenshot at $shot: the test did not run to the end" >&2
	exit 1
fi
echo "browser-test: screenshot: $shot"
