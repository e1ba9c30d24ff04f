// Spooling: a stream that must be read more than once (a `docker save`
// archive arriving on a pipe or from the Engine API) is copied to an
// unlinked temporary file under $TMPDIR, so it can be indexed and its layers
// read in parallel. The file has no name, so nothing is left behind when
// strata stops for any reason.
//
// Both `docker save` and the Engine's export write manifest.json last, so no
// layer can be placed before the stream ends anyway.
// TODO: analyse layers while they stream in, to skip this copy.
#pragma once

#include <memory>
#include <string>

#include "blob/byte_reader.h"

namespace strata {

// Copies everything from the descriptor |input| (not closed); |name| says
// what it is in messages. Throws Error when it cannot be read or stored.
std::shared_ptr<const SharedFile> SpoolStream(int input, const std::string& name);

// The same for a ByteReader.
std::shared_ptr<const SharedFile> SpoolReader(ByteReader& input, const std::string& name);

}  // namespace strata
