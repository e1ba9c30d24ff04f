// --save: keeps an OCI archive of the image that was read, so a later run
// (or skopeo, podman, umoci) can work on it offline.
//
// The archive is written first and the layers are then read from it: each
// blob crosses the network once, and the analysis reads a local file. It is
// a copy made when the source opens, not a tee of the analysis stream,
// because the layers are analysed in parallel and a tar file is written in
// one order.
// TODO: tee the analysis stream into the archive instead, so --save costs
// no extra read of each layer.
#pragma once

#include <string>

#include "source/image_source.h"

namespace strata {

// Writes |source| (config, every layer blob, its manifest, an index.json
// naming it) as an uncompressed OCI archive at |path|, and returns
// |source| with each layer opened from that archive. The manifest is kept
// byte for byte when the source had one, so digests stay the same; for
// archives without one (docker save) an OCI manifest is written. Every blob
// is checked against its digest as it is copied. The file appears only when
// complete (written beside |path|, then renamed), with a report's mode
// (ReplacingFileMode): an existing file at |path| is replaced and its mode
// kept; a symbolic link there is kept and written through, as for a report
// (output_file.h). Throws Error.
ImageSource SaveOciArchive(ImageSource source, const std::string& path);

}  // namespace strata
