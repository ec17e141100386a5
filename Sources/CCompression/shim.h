#include <zlib.h>
#include <lzma.h>
#include <bzlib.h>
#include <zstd.h>

/* zlib's init macros pass sizeof(z_stream) and the version; Swift cannot call macros. */
static inline int pulpform_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
static inline int pulpform_deflateInit2(z_streamp strm, int level, int windowBits) {
    return deflateInit2(strm, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}
/* LZMA_STREAM_INIT is a macro too. */
static inline lzma_stream pulpform_lzma_stream_init(void) {
    lzma_stream s = LZMA_STREAM_INIT;
    return s;
}
static const uint32_t PULPFORM_LZMA_CONCATENATED = LZMA_CONCATENATED;
