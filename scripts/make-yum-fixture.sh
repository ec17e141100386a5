#!/usr/bin/env bash
# Builds a small, real yum feed for tests.
#
# usage: scripts/make-yum-fixture.sh OUTDIR [--with-update] [--compress=gz|xz|bz2|zstd]
#
# Builds three noarch packages with rpmbuild (pulpform-hello 1.0 and 1.1, pulpform-app 2.0 which
# requires pulpform-hello >= 1.1), each with its source RPM; with --with-update also pulpform-hello 1.2.
# Lays them out as a yum feed in OUTDIR:
#   OUTDIR/Packages/*.noarch.rpm   binary packages
#   OUTDIR/src/*.src.rpm           source packages
#   OUTDIR/repodata/               primary, filelists, other, group (+ group_gz), updateinfo
# The comps group is `pulpform-tools` (category `pulpform-cat`); the one erratum is PF-2026:0001.
# OUTDIR/Packages, OUTDIR/src and OUTDIR/repodata are replaced on every run; nothing else in OUTDIR is
# touched. Builds are reproducible: running it twice gives byte-identical RPMs and repodata.
#
# Environment:
#   COMPRESS=gz|xz|bz2|zstd   compression of all repodata (createrepo_c --general-compress-type and
#                             modifyrepo_c --compress-type); default gz. --compress=TYPE does the same.
#                             createrepo_c 0.17.x has no zstd (exit 3); the comps record is then group_xz etc.
#   SOURCE_DATE_EPOCH=N       build time, file mtimes and repomd revision/timestamps
#                             (default 1793491200 = 2026-11-01 00:00:00 UTC)
#
# Needs rpmbuild, createrepo_c and modifyrepo_c (exit 3 when one is missing); exit 2 on bad usage.
# Prints nothing on success except the last line: `fixture: N packages in OUTDIR` (RPMs + SRPMs).
set -euo pipefail

usage() {
    echo "usage: $0 OUTDIR [--with-update] [--compress=gz|xz|bz2|zstd]" >&2
    exit 2
}

outdir=
with_update=0
compress=${COMPRESS:-gz}
for arg in "$@"; do
    case $arg in
        --with-update) with_update=1 ;;
        --compress=*) compress=${arg#--compress=} ;;
        -h|--help) usage ;;
        -*) echo "unknown option: $arg" >&2; usage ;;
        *) [[ -z $outdir ]] || usage; outdir=$arg ;;
    esac
done
[[ -n $outdir ]] || usage
case $compress in
    gz|xz|bz2|zstd) ;;
    *) echo "COMPRESS must be gz, xz, bz2 or zstd (got '$compress')" >&2; exit 2 ;;
esac

missing=()
for tool in rpmbuild createrepo_c modifyrepo_c; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
    echo "error: missing tool(s): ${missing[*]} (Debian/Ubuntu: apt-get install rpm createrepo-c)" >&2
    exit 3
fi

export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1793491200}
# The feed with the update is a newer revision of the same feed, as a real feed's next publish is.
revision=$((SOURCE_DATE_EPOCH + with_update))
export TZ=UTC LC_ALL=C

top=$(mktemp -d "${TMPDIR:-/tmp}/pulpform-yum-fixture.XXXXXX")
trap 'rm -rf "$top"' EXIT
mkdir -p "$top"/{SPECS,SOURCES,BUILD,BUILDROOT,RPMS,SRPMS}

# createrepo_c < 1.0 (e.g. 0.17.3) knows gz, xz and bz2 but not zstd: find out before touching OUTDIR.
if [[ $compress != gz ]]; then
    mkdir -p "$top/probe"
    if ! createrepo_c -q --no-database --general-compress-type "$compress" "$top/probe" >/dev/null 2>&1; then
        echo "error: this createrepo_c ($(createrepo_c --version 2>/dev/null | head -1 | sed 's/^Version: //')) cannot compress with '$compress'" >&2
        exit 3
    fi
fi

mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

# write_spec NAME VERSION [REQUIRES]
write_spec() {
    local name=$1 version=$2 requires=${3:-}
    {
        echo "Name: $name"
        echo "Version: $version"
        echo "Release: 1"
        echo "Summary: Pulpform test package $name"
        echo "License: MIT"
        echo "BuildArch: noarch"
        [[ -z $requires ]] || echo "Requires: $requires"
        # $RPM_BUILD_ROOT rather than %{buildroot}: the SRPM header keeps the macro-expanded spec, and
        # the (temporary) build root path in it would make every build differ.
        cat <<EOF

%description
$name is a tiny package built for pulpform's yum tests.

%prep

%build

%install
mkdir -p "\$RPM_BUILD_ROOT/usr/share/%{name}"
echo "%{name} %{version}" > "\$RPM_BUILD_ROOT/usr/share/%{name}/version.txt"

%files
/usr/share/%{name}/version.txt

%changelog
* Sun Nov 01 2026 Test <test@example.com> - $version-1
- Release $version
EOF
    } > "$top/SPECS/$name-$version.spec"
}

write_spec pulpform-hello 1.0
write_spec pulpform-hello 1.1
write_spec pulpform-app 2.0 "pulpform-hello >= 1.1"
((with_update)) && write_spec pulpform-hello 1.2

# gzip payloads (not the distro default, zstd on newer rpm) so any reader of the RPM files can open them.
# The SRPMs land in primary.xml too (arch "src", location src/...), as createrepo_c indexes every *.rpm.
for spec in "$top"/SPECS/*.spec; do
    rpmbuild --quiet -ba "$spec" \
        --define "_topdir $top" \
        --define "dist %{nil}" \
        --define "_buildhost pulpform-test" \
        --define "use_source_date_epoch_as_buildtime 1" \
        --define "clamp_mtime_to_source_date_epoch 1" \
        --define "_binary_payload w9.gzdio" \
        --define "_source_payload w9.gzdio" \
        >"$top/rpmbuild.log" 2>&1 || { cat "$top/rpmbuild.log" >&2; echo "error: rpmbuild failed for $spec" >&2; exit 1; }
done

rm -rf "$outdir/Packages" "$outdir/src" "$outdir/repodata"
mkdir -p "$outdir/Packages" "$outdir/src"
cp "$top"/RPMS/noarch/*.noarch.rpm "$outdir/Packages/"
cp "$top"/SRPMS/*.src.rpm "$outdir/src/"
# createrepo_c records each package's mtime (<time file=...>); pin it so the metadata is reproducible.
touch -d "@$SOURCE_DATE_EPOCH" "$outdir"/Packages/*.rpm "$outdir"/src/*.rpm

cat > "$top/comps.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE comps PUBLIC "-//Red Hat, Inc.//DTD Comps info//EN" "comps.dtd">
<comps>
  <group>
    <id>pulpform-tools</id>
    <name>Pulpform tools</name>
    <description>Tools for pulpform tests</description>
    <default>true</default>
    <uservisible>true</uservisible>
    <packagelist>
      <packagereq type="mandatory">pulpform-app</packagereq>
    </packagelist>
  </group>
  <category>
    <id>pulpform-cat</id>
    <name>Pulpform category</name>
    <description>Category for pulpform tests</description>
    <display_order>1</display_order>
    <grouplist>
      <groupid>pulpform-tools</groupid>
    </grouplist>
  </category>
</comps>
EOF

mkdir -p "$top/md"
cat > "$top/md/updateinfo.xml" <<'EOF'
<updates><update from="test@example.com" status="final" type="bugfix" version="1">
  <id>PF-2026:0001</id><title>pulpform-hello bugfix update</title>
  <issued date="2026-11-01 00:00:00"/><updated date="2026-11-02 00:00:00"/>
  <rights>MIT</rights><release>1</release><severity>Low</severity><summary>Fixes hello</summary>
  <description>Update pulpform-hello to 1.1</description><solution>dnf upgrade</solution><references/>
  <pkglist><collection short="pf"><name>pulpform</name>
    <package name="pulpform-hello" version="1.1" release="1" epoch="0" arch="noarch" src="pulpform-hello-1.1-1.src.rpm">
      <filename>pulpform-hello-1.1-1.noarch.rpm</filename></package></collection></pkglist>
</update></updates>
EOF

# -g: a relative path (bare name or with '/') is joined to the repo dir, not the current directory
# (createrepo_c 0.17.3: "groupfile ../repo/./comps.xml doesn't exists"); an absolute path is used as
# given, which keeps comps.xml out of the feed itself.
createrepo_c -q --no-database --workers 1 \
    --general-compress-type "$compress" \
    --revision "$revision" --set-timestamp-to-revision \
    -g "$top/comps.xml" "$outdir"
modifyrepo_c --mdtype=updateinfo --compress-type "$compress" \
    "$top/md/updateinfo.xml" "$outdir/repodata" >/dev/null
# modifyrepo_c stamps its record with the current time and has no option against it: pin it like the others.
sed -i "s|<timestamp>[0-9]*</timestamp>|<timestamp>$SOURCE_DATE_EPOCH</timestamp>|" "$outdir/repodata/repomd.xml"
touch -d "@$SOURCE_DATE_EPOCH" "$outdir"/repodata/*

count=$(find "$outdir/Packages" "$outdir/src" -name '*.rpm' | wc -l)
echo "fixture: $count packages in $outdir"
