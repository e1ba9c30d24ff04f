#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<target>/.

Usage: fuzz/make_seeds.py [IMAGES_DIR]

IMAGES_DIR is the reference image corpus (default: ../shared/images beside
the repository); its small documents and layers are the seeds' real-world
half, and the rest is written here: layers with whiteouts, hard links, PAX
records, long names, and small whole archives. The seeds are committed;
run this again only to change them. Each file stays a few kB. Files named
regression-* are inputs that once crashed a target; they are kept.
"""

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS_OUT = os.path.join(HERE, "corpus")
SEPARATOR = b"\n====\n"


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def tar_bytes(members, fmt=tarfile.PAX_FORMAT):
    """members: (name, type, content_or_link, extra pax headers)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        for name, kind, data, pax in members:
            info = tarfile.TarInfo(name)
            info.mtime = 1700000000
            info.pax_headers = pax or {}
            if kind == "dir":
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            elif kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, data
                tar.addfile(info)
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, data
                tar.addfile(info)
            else:
                info.size, info.mode = len(data), 0o644
                tar.addfile(info, io.BytesIO(data))
    return trim(out.getvalue())


def trim(data):
    """Drops tarfile's padding to a 10 kB record: the end marker is enough."""
    used = (len(data.rstrip(b"\0")) + 511) // 512 * 512
    return data[:used] + b"\0" * 1024


def synthetic_layers():
    """Small layers that reach the merge's corners."""
    base = tar_bytes([
        ("etc", "dir", None, None),
        ("etc/passwd", "file", b"root:x:0:0:root:/root:/bin/sh\n", None),
        ("app", "dir", None, None),
        ("app/.env", "file", b"AWS_SECRET_ACCESS_KEY=abcdefghijklmnopqrstuvwxyz0123456789ABCD\n", None),
        ("app/cache", "dir", None, None),
        ("app/cache/a.bin", "file", b"\0" * 300, None),
        ("app/run.sh", "file", b"#!/bin/sh\nexec server\n", None),
        ("app/link", "hardlink", "app/run.sh", None),
        ("usr/bin/sh", "symlink", "busybox", None),
        ("var/lib/apt/lists/x_Packages", "file", b"Package: curl\n", None),
    ])
    upper = tar_bytes([
        ("app/.wh..env", "file", b"", None),
        ("app/cache/.wh..wh..opq", "file", b"", None),
        ("app/cache/b.bin", "file", b"new", None),
        ("app/run.sh", "file", b"#!/bin/sh\nexec server --prod\n", None),
        ("etc/passwd", "file", b"root:x:0:0:root:/root:/bin/sh\n", None),
        ("usr/bin", "file", b"a file replaces a directory", None),
        ("../escape", "file", b"x", None),
        ("/abs/path", "file", b"y", None),
        ("long/" + "d" * 120 + "/" + "n" * 150, "file", b"z", None),
        ("caps", "file", b"\x7fELF", {"SCHILY.xattr.security.capability": "\x01\x00\x00\x02"}),
        ("var/lib/apt/.wh.lists", "file", b"", None),
    ])
    gnu = tar_bytes([
        ("gnu/" + "L" * 200, "file", b"long name, GNU style", None),
        ("gnu/link", "symlink", "T" * 200, None),
    ], fmt=tarfile.GNU_FORMAT)
    return base, upper, gnu


def base256_size_layer():
    """One header whose size field is base-256 (GNU's binary form)."""
    header = bytearray(tar_bytes([("big", "file", b"", None)], fmt=tarfile.GNU_FORMAT)[:512])
    header[124:136] = b"\x80" + b"\0" * 10 + b"\x05"
    header[148:156] = b" " * 8
    header[148:156] = b"%06o\0 " % sum(header)
    return bytes(header) + b"hello".ljust(512, b"\0") + b"\0" * 1024


def pax_layer(records):
    """A PAX extended header holding |records| verbatim, then a file."""
    body = b"".join(records)
    header = tarfile.TarInfo("PaxHeaders/x")
    header.type, header.size = tarfile.XHDTYPE, len(body)
    data = header.tobuf(tarfile.USTAR_FORMAT) + body.ljust((len(body) + 511) // 512 * 512, b"\0")
    return data + tar_bytes([("after-pax", "file", b"content", None)], fmt=tarfile.USTAR_FORMAT)


def zstd(data):
    if shutil.which("zstd") is None:
        return None
    return subprocess.run(["zstd", "-q", "-c"], input=data, capture_output=True, check=True).stdout


def config(diff_ids, history=None, runtime=None):
    return json.dumps({
        "architecture": "amd64", "os": "linux",
        "created": "2026-01-01T00:00:00Z",
        "config": runtime or {"Env": ["PATH=/usr/bin"], "Cmd": ["/app/run.sh"], "User": "app"},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history or [{"created_by": "/bin/sh -c step %d" % i} for i in range(len(diff_ids))],
    }).encode()


def write(target, name, data):
    directory = os.path.join(CORPUS_OUT, target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def parts(*documents):
    return SEPARATOR.join(documents)


def outer_tar(files):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1700000000
            tar.addfile(info, io.BytesIO(data))
    return trim(out.getvalue())


def main():
    images = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "shared", "images")
    corpus = os.path.join(images, "corpus")
    # Inputs that once crashed a target are kept: they are regression seeds.
    for root, _, files in os.walk(CORPUS_OUT):
        for name in files:
            if not name.startswith("regression-"):
                os.remove(os.path.join(root, name))

    def blob(image, digest):
        with open(os.path.join(corpus, image, "blobs", "sha256", digest), "rb") as f:
            return f.read()

    def read(path):
        with open(os.path.join(corpus, path), "rb") as f:
            return f.read()

    def member(archive, name):
        with tarfile.open(os.path.join(corpus, archive)) as tar:
            return tar.extractfile(name).read()

    # Real documents from the reference images.
    oci_index = read("clean-multistage.oci/index.json")
    oci_manifest = blob("clean-multistage.oci", "754919be05907112daafbe0307c9f800c2b584894ccb5d0b9dbd88bf0702699e")
    oci_config = blob("clean-multistage.oci", "2d6781f87214910b9d5e688773e8cf6965f1fd85784fd67650332a7b564fe50e")
    leaky_config = blob("leaky-app.oci", "173836355f22e98779034d901c40726d2758888c9d7cd1f09d0d0dd443002256")
    docker_manifest = member("leaky-app.docker25.tar", "manifest.json")
    legacy_config = member("clean-multistage.docker.tar",
                           "7540fa8a83d73fe78d5620d9caa03666747eb16834cff0bbd2dd96cb3fb1c173.json")
    gzip_layer = blob("leaky-app.oci", "54dc64a9ad6c6321f8746fc82a5b6b330521f357d148552e71130f609c6b0f76")
    plain_layer = member("leaky-app.docker25.tar",
                         "blobs/sha256/5cf2ef287dd257eed7e217ac7f4548c19fc70bad79b680c931ae09cd0021d087")
    base, upper, gnu = synthetic_layers()
    gzip_upper = gzip.compress(upper, mtime=0)
    zstd_base = zstd(base)

    # untrusted_json, image_config: documents as they are.
    for name, data in [("oci-index.json", oci_index), ("oci-manifest.json", oci_manifest),
                       ("docker-manifest.json", docker_manifest), ("config.json", oci_config),
                       ("nested-63.json", b"[" * 63 + b"]" * 63),
                       ("strings.json", b'{"a":"\\u00e9\\ud83d\\ude00\\"[{","b":[1e999,-0,18446744073709551616]}')]:
        write("untrusted_json", name, data)
    for name, data in [("clean.json", oci_config), ("leaky.json", leaky_config),
                       ("legacy.json", legacy_config),
                       ("odd-types.json", b'{"rootfs":{"diff_ids":[]},"config":{"User":7,"Env":"A=b",'
                        b'"Labels":{"a":1},"Healthcheck":{"Test":"NONE"},"ExposedPorts":[80]},'
                        b'"history":[1,{"created_by":"|2 A=1 B=2 /bin/sh -c make # buildkit","empty_layer":"yes"}]}')]:
        write("image_config", name, data)

    # layer_merge: two layers, split exactly in half.
    def pair(a, b):
        size = max(len(a), len(b))
        return a.ljust(size, b"\0") + b.ljust(size, b"\0")
    write("layer_merge", "base-upper.tar", pair(base, upper))
    write("layer_merge", "base-gzip-upper", pair(base, gzip_upper))
    write("layer_merge", "real-plain-gzip", pair(plain_layer, gzip_layer))
    write("layer_merge", "gnu-base256", pair(gnu, base256_size_layer()))
    write("layer_merge", "pax-records", pair(
        pax_layer([b"30 path=pax/named/by/record\n", b"20 uid=4294967296\n"]),
        pax_layer([b"99999 path=short\n", b"12 size=-1\n"])))
    if zstd_base is not None:
        write("layer_merge", "zstd-base-upper", pair(zstd_base, upper))

    # docker_manifest: manifest.json, config, layers, linked by $N/%N/#N.
    two_layers = b'[{"Config":"blobs/sha256/%1","RepoTags":["fuzz/app:1"],' \
                 b'"Layers":["blobs/sha256/%2","blobs/sha256/%3"]}]'
    write("docker_manifest", "two-layers", parts(
        two_layers, config(["$2", "$3"]), base, upper))
    write("docker_manifest", "gzip-layer", parts(
        b'[{"Config":"blobs/sha256/%1","RepoTags":null,"Layers":["blobs/sha256/%2"],'
        b'"LayerSources":{"$2":{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip"}}}]',
        config([sha(upper)]), gzip_upper))
    write("docker_manifest", "real-manifest.json", docker_manifest)
    write("docker_manifest", "two-images", parts(
        b'[{"Config":"blobs/sha256/%1","RepoTags":["a:1"],"Layers":[]},'
        b'{"Config":"blobs/sha256/%1","RepoTags":["b:1"],"Layers":[]}]', config([])))

    # oci_index: index.json, manifest, config, layers.
    def manifest(first):
        """An OCI manifest whose config is part |first|, then two layers."""
        c, g, p = first, first + 1, first + 2
        return ('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'
                '"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"$%d","size":#%d},'
                '"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"$%d","size":#%d},'
                '{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"$%d","size":#%d}]}'
                % (c, c, g, g, p, p)).encode()
    index = b'{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",' \
            b'"digest":"$1","size":#1,"annotations":{"org.opencontainers.image.ref.name":"fuzz/app:1"}}]}'
    write("oci_index", "manifest", parts(index, manifest(2), config([sha(upper), "$4"]), gzip_upper, base))
    nested = b'{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json",' \
             b'"digest":"$1"}]}'
    platforms = b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[' \
                b'{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"$2",' \
                b'"platform":{"os":"linux","architecture":"arm64","variant":"v8"}},' \
                b'{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"$2",' \
                b'"platform":{"os":"unknown","architecture":"unknown"}},' \
                b'{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"$2",' \
                b'"platform":{"os":"linux","architecture":"amd64"}}]}'
    write("oci_index", "nested-platforms", parts(
        nested, platforms, manifest(3), config([sha(upper), "$5"]), gzip_upper, base))
    write("oci_index", "real-index.json", oci_index)

    # image_archive: whole (small) archives, as docker save and OCI write them.
    layer_digest, upper_digest = sha(base), sha(upper)
    docker_config = config([layer_digest, upper_digest])
    write("image_archive", "docker.tar", outer_tar([
        ("blobs/sha256/" + layer_digest[7:], base),
        ("blobs/sha256/" + upper_digest[7:], upper),
        ("blobs/sha256/" + sha(docker_config)[7:], docker_config),
        ("manifest.json", json.dumps([{"Config": "blobs/sha256/" + sha(docker_config)[7:],
                                       "RepoTags": ["fuzz/app:1"],
                                       "Layers": ["blobs/sha256/" + layer_digest[7:],
                                                  "blobs/sha256/" + upper_digest[7:]]}]).encode()),
    ]))
    oci_config_doc = config([upper_digest])
    oci_manifest_doc = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": sha(oci_config_doc), "size": len(oci_config_doc)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": sha(gzip_upper), "size": len(gzip_upper)}]}).encode()
    write("image_archive", "oci.tar", outer_tar([
        ("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'),
        ("index.json", json.dumps({"schemaVersion": 2, "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json",
             "digest": sha(oci_manifest_doc), "size": len(oci_manifest_doc)}]}).encode()),
        ("blobs/sha256/" + sha(oci_manifest_doc)[7:], oci_manifest_doc),
        ("blobs/sha256/" + sha(oci_config_doc)[7:], oci_config_doc),
        ("blobs/sha256/" + sha(gzip_upper)[7:], gzip_upper),
    ]))


if __name__ == "__main__":
    main()
