#!/usr/bin/env bash
# get-cjson.sh — puts a verified copy of cJSON's source (cJSON.c, cJSON.h, LICENSE) in
# build/third_party/cjson/, from Debian's source package or the upstream tarball. Not a build step.
#
# cJSON is never committed: it is fetched, then trusted only if cJSON.c and cJSON.h both match one
# labelled set in build/cjson.sha256. Safe to run again: a verified copy is left alone, silently.
# Messages go to stderr; the exit status is non-zero on any failure.
set -euo pipefail

# Keep in step with the pins: a new version means new hashes in build/cjson.sha256.
readonly CJSON_VERSION=1.7.15
readonly UPSTREAM_URL="https://github.com/DaveGamble/cJSON/archive/refs/tags/v${CJSON_VERSION}.tar.gz"
# Our deb-src entries go in a file of their own, so the system's own sources are never edited.
readonly SRC_FILE=/etc/apt/sources.list.d/aevp-src.sources

build_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pins="$build_dir/cjson.sha256"
dest="$build_dir/third_party/cjson"

say() { printf 'get-cjson: %s\n' "$*" >&2; }
die() { say "$@"; exit 1; }
is_root() { [[ $(id -u) -eq 0 ]]; }

# macOS has shasum but no sha256sum.
sha256() {
    if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1
    else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

# Prints the label of the pinned set that both files in directory $1 match; fails if none does.
# Both files must come from the same set: a .c from one source and a .h from another is no build.
matching_set() {
    local dir=$1 c h
    [[ -f $dir/cJSON.c && -f $dir/cJSON.h ]] || return 1
    c=$(sha256 "$dir/cJSON.c")
    h=$(sha256 "$dir/cJSON.h")
    awk -v c="$c" -v h="$h" '
        /^[[:space:]]*(#|$)/ { next }
        $3 == "cJSON.c" && $2 == c { ok_c[$1] = 1 }
        $3 == "cJSON.h" && $2 == h { ok_h[$1] = 1 }
        END {
            for (label in ok_c) if (label in ok_h) { print label; found = 1; break }
            exit !found
        }' "$pins"
}

[[ -f $pins ]] || die "missing $pins (the pinned hashes); restore it from git"

# (a) Already there and verified: nothing to do, nothing to say.
if matching_set "$dest" >/dev/null; then
    exit 0
fi
if [[ -e $dest ]]; then
    # A stale or edited copy is never used: it is replaced by a fresh, verified one.
    say "the copy in $dest does not match build/cjson.sha256: deleting it and fetching a fresh one"
    rm -rf "$dest"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/get-cjson.XXXXXX")
trap 'rm -rf "$work"' EXIT
log="$work/log"
: >"$log"
src_dir=""
origin=""

# Writes deb822 deb-src stanzas mirroring the Debian "deb" entries, to stdout. Only Debian's own
# archives are mirrored: third-party repositories rarely publish sources, and a missing Sources
# index would only make `apt-get update` complain.
debian_src_stanzas() {
    if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
        # Debian 12's own file: every stanza is Debian's. Copy each enabled "deb" stanza with its
        # Types replaced; continuation lines (an inline Signed-By key) stay with their field.
        awk 'BEGIN { RS = ""; FS = "\n" }
            {
                is_deb = 0; enabled = 1; body = ""
                for (i = 1; i <= NF; i++) {
                    line = $i
                    if (line ~ /^#/) continue
                    if (tolower(line) ~ /^types:/ && line ~ /[: \t]deb([ \t]|$)/) { is_deb = 1; continue }
                    if (tolower(line) ~ /^types:/) continue
                    if (tolower(line) ~ /^enabled:[ \t]*no/) enabled = 0
                    body = body line "\n"
                }
                if (is_deb && enabled) printf "Types: deb-src\n%s\n", body
            }' /etc/apt/sources.list.d/debian.sources
    fi
    if [[ -f /etc/apt/sources.list ]]; then
        # One-line format: `deb [opts] URI suite components...`. Debian archives are recognised
        # by a URI path ending in /debian or /debian-security, as on every Debian mirror.
        awk '$1 == "deb" {
                i = 2; signed = ""; trusted = ""
                if ($2 ~ /^\[/) {
                    do {
                        opt = $i; gsub(/[][]/, "", opt)
                        if (opt ~ /^signed-by=/) signed = substr(opt, 11)
                        if (opt == "trusted=yes") trusted = "yes"
                    } while ($(i++) !~ /\]$/ && i <= NF)
                }
                uri = $i
                if (uri !~ /\/debian(-security)?\/?$/) next
                comps = ""
                for (j = i + 2; j <= NF && $j !~ /^#/; j++) comps = comps (comps ? " " : "") $j
                printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents: %s\n", uri, $(i + 1), comps
                if (signed) printf "Signed-By: %s\n", signed
                if (trusted) printf "Trusted: yes\n"
                printf "\n"
            }' /etc/apt/sources.list
    fi
}

have_deb_src() {
    grep -Eqs '^[[:space:]]*Types:.*deb-src' /etc/apt/sources.list.d/*.sources ||
        grep -Eqs '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list
}

# dpkg-source unpacks the package and applies Debian's patches; apt-get source needs it.
ensure_dpkg_source() {
    command -v dpkg-source >/dev/null && return 0
    if ! is_root; then
        say "dpkg-source is missing: run 'sudo apt-get install dpkg-dev' and try again"
        return 1
    fi
    say "installing dpkg-dev (for dpkg-source)"
    if ! apt-get install -y -q --no-install-recommends dpkg-dev >>"$log" 2>&1; then
        # A fresh machine may have no package lists yet.
        apt-get update -q >>"$log" 2>&1 || true
        apt-get install -y -q --no-install-recommends dpkg-dev >>"$log" 2>&1 || return 1
    fi
}

# (b) Debian: the source package, with the patches Debian applies (security fixes included).
fetch_debian() {
    command -v apt-get >/dev/null || return 1
    ensure_dpkg_source || return 1
    mkdir -p "$work/deb"
    if ! (cd "$work/deb" && apt-get source -q cjson) >>"$log" 2>&1; then
        if ! is_root; then
            say "apt-get source cjson failed; as root this script would add deb-src entries itself"
            return 1
        fi
        if ! have_deb_src; then
            local stanzas
            stanzas=$(debian_src_stanzas)
            if [[ -z $stanzas ]]; then
                say "no Debian archive found in the apt sources to add deb-src entries for"
                return 1
            fi
            say "adding deb-src entries in $SRC_FILE and updating apt's lists"
            {
                echo "# Added by AeVP's build/get-cjson.sh: source packages for the suites the system uses."
                echo "# Safe to delete; it is needed only to fetch cJSON's source again."
                echo
                printf '%s\n' "$stanzas"
            } >"$SRC_FILE"
        fi
        # A failing third-party repository makes update exit non-zero while Debian's lists are
        # fine, so the retry below decides.
        apt-get update -q >>"$log" 2>&1 || true
        rm -rf "$work/deb" && mkdir -p "$work/deb"
        (cd "$work/deb" && apt-get source -q cjson) >>"$log" 2>&1 || return 1
    fi
    local dsc
    dsc=$(find "$work/deb" -maxdepth 1 -name 'cjson_*.dsc' -printf '%f\n' | head -n1)
    src_dir=$(find "$work/deb" -mindepth 2 -maxdepth 2 -name cJSON.c -printf '%h\n' | head -n1)
    [[ -n $src_dir ]] || return 1
    local version=${dsc#cjson_}
    origin="Debian source package cjson ${version%.dsc}"
}

# (c) Elsewhere: upstream's release tarball of the same version.
fetch_upstream() {
    if ! command -v curl >/dev/null; then
        say "curl is missing: install it, or put cJSON $CJSON_VERSION's cJSON.c, cJSON.h and LICENSE in $dest by hand"
        return 1
    fi
    say "downloading $UPSTREAM_URL"
    curl -fsSL --retry 2 --connect-timeout 20 -o "$work/cjson.tar.gz" "$UPSTREAM_URL" >>"$log" 2>&1 || return 1
    mkdir -p "$work/up"
    tar -xzf "$work/cjson.tar.gz" -C "$work/up" >>"$log" 2>&1 || return 1
    src_dir="$work/up/cJSON-$CJSON_VERSION"
    [[ -f $src_dir/cJSON.c ]] || return 1
    origin="upstream release v$CJSON_VERSION ($UPSTREAM_URL)"
}

if ! fetch_debian; then
    if command -v apt-get >/dev/null; then
        say "could not get Debian's source package; trying upstream. apt's output was:"
        sed 's/^/    /' "$log" | tail -n 20 >&2
        : >"$log"
    fi
    if ! fetch_upstream; then
        sed 's/^/    /' "$log" | tail -n 20 >&2
        die "could not obtain cJSON $CJSON_VERSION. Either run this script as root on Debian (it uses" \
            "apt-get source cjson), or download $UPSTREAM_URL and put its cJSON.c, cJSON.h and" \
            "LICENSE in $dest; then run it again to verify them."
    fi
fi

if ! label=$(matching_set "$src_dir"); then
    # Nothing unverified is left behind: the fetched files die with $work.
    die "cJSON from $origin does not match build/cjson.sha256" \
        "(cJSON.c $(sha256 "$src_dir/cJSON.c"), cJSON.h $(sha256 "$src_dir/cJSON.h")). Nothing was installed." \
        "If the source changed on purpose (e.g. a new Debian revision), read its changes, then pin the" \
        "new hashes under a new label in build/cjson.sha256 and run this again. Otherwise do not build with it."
fi

# Staged beside the destination, then moved, so an interrupted copy is never taken for a good one.
stage="$dest.partial.$$"
rm -rf "$stage"
mkdir -p "$stage"
cp "$src_dir/cJSON.c" "$src_dir/cJSON.h" "$stage/"
if [[ -f $src_dir/LICENSE ]]; then
    cp "$src_dir/LICENSE" "$stage/"
else
    say "warning: no LICENSE in $origin"
fi
printf 'cJSON %s from %s; pinned set %s\n' "$CJSON_VERSION" "$origin" "$label" >"$stage/SOURCE"
rm -rf "$dest"
mv "$stage" "$dest"

if ! matching_set "$dest" >/dev/null; then
    rm -rf "$dest"
    die "the copy in $dest changed while being written; deleted it. Run this script again."
fi
say "cJSON $CJSON_VERSION from $origin, verified ($label), in $dest"
