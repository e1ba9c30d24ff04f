#!/usr/bin/env bash
# Creates the local base image strata-base/busybox:1 that the example and the
# test fixtures build FROM.  No registry can be reached, so the base is made
# here: a root filesystem holding Debian's static busybox and one link per
# applet, imported as a single-layer image.  Does nothing if the image exists.
set -euo pipefail

image=strata-base/busybox:1
if docker image inspect "$image" >/dev/null 2>&1; then exit 0; fi

# busybox-static puts a statically linked busybox here; the plain busybox
# package's binary would need a libc inside the image.
busybox=/bin/busybox
status=$(dpkg -s busybox-static 2>/dev/null || true)
[[ $status == *'Status: install ok installed'* ]] || {
  echo "busybox-base.sh: needs busybox-static (run scripts/setup.sh)" >&2
  exit 1
}

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

chmod 0755 "$root"   # mktemp makes it 0700; it becomes the image's /
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,var/tmp}
chmod 1777 "$root/tmp" "$root/var/tmp"
cp "$busybox" "$root/bin/busybox"
# --list-full gives each applet with its usual directory (bin/ls,
# usr/bin/awk, ...), so the image looks like a normal FHS layout.
for applet in $("$busybox" --list-full); do
  [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:10001:10001:app:/home/app:/bin/sh\n' \
  >"$root/etc/passwd"
printf 'root:x:0:\napp:x:10001:\n' >"$root/etc/group"

tar -C "$root" --numeric-owner --owner=0 --group=0 -c . |
  docker import --change 'CMD ["/bin/sh"]' \
    --message 'static busybox base' - "$image" >/dev/null
echo "created $image"
