#!/usr/bin/env bash
# Installs the Debian packages harmony-sync builds and tests with, if any
# is missing.  slapd is preseeded so that no system instance is configured:
# the tests run private ones (FIELD-NOTES).  samba, samba-ad-provision,
# ldb-tools, iproute2 and util-linux (unshare) are for the private AD DC of
# tests/integration/ad_samba.sh (scripts/samba.sh), which provisions its
# own domain and never reads /etc/samba.  (On a systemd host Debian starts
# its stock smbd/nmbd file server; the test neither uses nor touches it.)
set -eu
pkgs="gcc make pkg-config libldap2-dev libcurl4-openssl-dev libjansson-dev
      libsqlite3-dev libyaml-dev sqlite3 slapd ldap-utils nodejs npm curl
      python3 openssl time valgrind samba samba-ad-provision ldb-tools
      iproute2 util-linux"
missing=()
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
# Node and npm may come from outside Debian (a preinstalled toolchain).
if command -v node >/dev/null && command -v npm >/dev/null; then
	m=(); for p in "${missing[@]}"; do case $p in nodejs|npm) ;; *) m+=("$p");; esac; done
	missing=("${m[@]+"${m[@]}"}")
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "harmony-sync: missing packages: ${missing[*]} (run as root, or apt-get install them)" >&2
	exit 1
fi
echo "installing: ${missing[*]}" >&2
echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || true
apt-get install -y -qq "${missing[@]}" >/dev/null
