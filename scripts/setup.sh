#!/usr/bin/env bash
# Install what voxaudit needs on a fresh Debian 12 machine: Python venv and the package. Without
# options that is the slim install (offline audits of configuration files: what the demo needs);
# --test adds the live collectors, the test and distributed-mode extras, the lab's Debian packages
# and the SARIF 2.1.0 schema used by the report tests.
set -euo pipefail
cd "$(dirname "$0")/.."

WITH_TEST=0
[ "${1:-}" = "--test" ] && WITH_TEST=1

need_apt=()
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
if [ "$WITH_TEST" = 1 ] && ! command -v npm >/dev/null 2>&1; then need_apt+=(npm); fi
if [ "$WITH_TEST" = 1 ]; then
  # The lab (tests/lab/): real servers the integration tests start on 127.0.0.1.
  [ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
  [ -x /usr/sbin/kamailio ] || need_apt+=(kamailio)
  [ -e /usr/lib/x86_64-linux-gnu/kamailio/modules/tls.so ] || ls /usr/lib/*/kamailio/modules/tls.so >/dev/null 2>&1 \
    || need_apt+=(kamailio-tls-modules)
  [ -x /usr/sbin/snmpd ] || need_apt+=(snmpd)
  # Real calls between network namespaces (tests/lab/calls.py): two baresip user agents, SRTP and plain RTP,
  # through Kamailio as TLS registrar (its rtpengine module) and rtpengine forwarding media in userspace.
  [ -e /usr/lib/baresip/modules/srtp.so ] || need_apt+=(baresip-core)
  [ -x /usr/bin/rtpengine ] || need_apt+=(rtpengine-daemon)
  [ -e /usr/lib/x86_64-linux-gnu/kamailio/modules/rtpengine.so ] || ls /usr/lib/*/kamailio/modules/rtpengine.so \
    >/dev/null 2>&1 || need_apt+=(kamailio-extra-modules)
  command -v ssh-keygen >/dev/null 2>&1 || need_apt+=(openssh-client)
  command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
  command -v patch >/dev/null 2>&1 || need_apt+=(patch)  # tests/test_fix.py applies voxaudit fix's patches
  # Distributed mode's lab: a Redis broker and a PostgreSQL central store.
  [ -x /usr/bin/redis-server ] || need_apt+=(redis-server)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
  # The report, portfolio and PDF in a real browser (tests/test_browser.py): Debian's chromium and its
  # driver (Selenium is given the driver's path, nothing is downloaded), poppler for the PDF's pages
  # and text, a font to print with.
  command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
  [ -x /usr/bin/chromedriver ] || need_apt+=(chromium-driver)
  command -v pdftoppm >/dev/null 2>&1 || need_apt+=(poppler-utils)
  [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_apt+=(fonts-dejavu-core)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "==> installing Debian packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  # policy-rc.d: packages must not start their daemons; the lab starts its own on loopback.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null; $SUDO chmod +x /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

python3 - <<'PY'
import sys
if sys.version_info < (3, 11):
    sys.exit(f"voxaudit needs Python >= 3.11; this is {sys.version.split()[0]}")
PY

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
extras=""; [ "$WITH_TEST" = 1 ] && extras="[live,test,distributed]"
echo "==> installing voxaudit${extras} into .venv"
.venv/bin/python -m pip install -q -e ".${extras}" 2>&1 | grep -vE '^(WARNING: Location|  )' || true
.venv/bin/voxaudit --version >/dev/null

if [ "$WITH_TEST" = 1 ]; then
  # The official SARIF 2.1.0 JSON schema, as shipped in Microsoft's @microsoft/jest-sarif npm package.
  schema=.cache/sarif-schema-2.1.0.json
  if [ ! -s "$schema" ]; then
    echo "==> fetching the SARIF 2.1.0 schema (npm: @microsoft/jest-sarif@1.0.0-beta.0)"
    mkdir -p .cache/npm
    tarball=$(cd .cache/npm && npm pack --silent @microsoft/jest-sarif@1.0.0-beta.0 | tail -n 1)
    tar -xzf ".cache/npm/$tarball" -C .cache/npm package/lib/schemas/sarif-2.1.0-rtm.5.json
    mv .cache/npm/package/lib/schemas/sarif-2.1.0-rtm.5.json "$schema"
  fi
fi

if [ "$WITH_TEST" = 1 ]; then
  # Postfix's own postconf, unpacked from Debian's package and never installed (no mail system is set
  # up): tests/test_mail_relay.py checks that voxaudit reads main.cf's relayhost as postconf does.
  if [ ! -x .cache/postfix/usr/sbin/postconf ]; then
    echo "==> unpacking Debian's postfix package for its postconf (not installed)"
    mkdir -p .cache/debs && rm -rf .cache/postfix
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    (cd .cache/debs && apt-get download postfix >/dev/null 2>&1 || { $SUDO apt-get update -qq && apt-get download postfix >/dev/null 2>&1; })
    dpkg -x .cache/debs/postfix_*.deb .cache/postfix
  fi
fi
