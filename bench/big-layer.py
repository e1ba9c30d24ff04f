#!/usr/bin/env python3
"""Writes an OCI image layout holding one gzip layer of about SIZE GiB.

    big-layer.py OUT SIZE_GIB

The layer stores generated files whose sizes run from 512 bytes to 8 MiB,
about 110 kB on average, 200 to a directory, so a layer of 8 GiB holds some
80,000 files. Their bytes come from one 64 MiB pool of text-like runs and
random runs (about three to one under gzip, like a layer of binaries and
their data), taken at varying offsets so no two files are alike. igzip
compresses at level 1: a layer's build tools choose their level, and
inflating costs about the same whatever it was.

The layer is the same for the same size on every run (a fixed seed), so
its digests are too.
"""
import hashlib
import json
import os
import random
import subprocess
import sys
import tarfile
import threading

POOL_BYTES = 64 << 20
SIZES = [512, 2 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 8 << 20]
WEIGHTS = [20, 25, 25, 15, 10, 4, 1]
FILES_PER_DIR = 200


def make_pool(rng):
    words = [b"layer ", b"blob ", b"digest ", b"whiteout\n", b"tar ", b"\x00\x01",
             b"usr/lib/x86_64-linux-gnu/", b"ELF", b"config ", b"0123456789abcdef"]
    chunks, size = [], 0
    while size < POOL_BYTES:
        if rng.random() < 0.3:
            chunk = rng.randbytes(16 << 10)
        else:
            chunk = b"".join(rng.choices(words, k=2000))
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)[:POOL_BYTES]


def tar_stream(rng, pool, total, write):
    """Writes tar members of about |total| bytes through |write|."""
    view = memoryview(pool)
    written, files = 0, 0
    while written < total:
        if files % FILES_PER_DIR == 0:
            info = tarfile.TarInfo(f"srv/data/d{files // FILES_PER_DIR:05d}")
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 1700000000
            write(info.tobuf(tarfile.GNU_FORMAT))
        size = rng.choices(SIZES, WEIGHTS)[0]
        size = rng.randint(size // 2, size)
        info = tarfile.TarInfo(f"srv/data/d{files // FILES_PER_DIR:05d}/f{files:07d}.bin")
        info.size, info.mode, info.mtime = size, 0o644, 1700000000
        write(info.tobuf(tarfile.GNU_FORMAT))
        start = rng.randrange(0, POOL_BYTES - size)
        write(view[start:start + size])
        padding = -size % 512
        if padding:
            write(bytes(padding))
        written += 512 + size + padding
        files += 1
    write(bytes(1024))  # The end-of-archive marker.
    return files


def main():
    out, gib = sys.argv[1], float(sys.argv[2])
    blobs = os.path.join(out, "blobs", "sha256")
    os.makedirs(blobs)
    rng = random.Random(int(gib * 1000))
    pool = make_pool(rng)

    # tar -> (diff_id) -> igzip -> (digest) -> a temporary blob file.
    partial = os.path.join(blobs, "layer.partial")
    diff_id, digest = hashlib.sha256(), hashlib.sha256()
    igzip = subprocess.Popen(["igzip", "-1", "-c"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE)
    stored = [0]

    def drain():
        with open(partial, "wb") as blob:
            while chunk := igzip.stdout.read(1 << 20):
                digest.update(chunk)
                blob.write(chunk)
                stored[0] += len(chunk)

    drainer = threading.Thread(target=drain)
    drainer.start()

    def write(data):
        diff_id.update(data)
        igzip.stdin.write(data)

    files = tar_stream(rng, pool, int(gib * (1 << 30)), write)
    igzip.stdin.close()
    drainer.join()
    if igzip.wait() != 0:
        sys.exit("big-layer: igzip failed")
    os.rename(partial, os.path.join(blobs, digest.hexdigest()))

    def put(document):
        data = json.dumps(document).encode()
        name = hashlib.sha256(data).hexdigest()
        with open(os.path.join(blobs, name), "wb") as blob:
            blob.write(data)
        return {"digest": "sha256:" + name, "size": len(data)}

    config = put({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/local/bin:/usr/bin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff_id.hexdigest()]},
        "history": [{"created_by": f"COPY {files} generated files /srv/data"}],
    })
    manifest = put({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": dict(config, mediaType="application/vnd.oci.image.config.v1+json"),
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": "sha256:" + digest.hexdigest(), "size": stored[0]}],
    })
    index = {"schemaVersion": 2, "manifests": [dict(
        manifest, mediaType="application/vnd.oci.image.manifest.v1+json",
        annotations={"org.opencontainers.image.ref.name": "big-layer"})]}
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    print(f"{out}: {files} files, {stored[0]} bytes stored")


if __name__ == "__main__":
    main()
