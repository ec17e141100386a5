import CCompression

/// How a metadata file is compressed, by its name's extension (as Pulp and dnf tell it).
public enum Compression: String, Sendable, CaseIterable {
    case none, gzip, xz, bzip2, zstd

    public init(filename: String) {
        let lower = filename.lowercased()
        if lower.hasSuffix(".gz") { self = .gzip }
        else if lower.hasSuffix(".xz") { self = .xz }
        else if lower.hasSuffix(".bz2") { self = .bzip2 }
        else if lower.hasSuffix(".zst") || lower.hasSuffix(".zstd") { self = .zstd }
        else { self = .none }
    }

    /// The name with the compression's extension taken off.
    public static func stripped(_ filename: String) -> String {
        for ext in [".gz", ".xz", ".bz2", ".zst", ".zstd"] where filename.lowercased().hasSuffix(ext) {
            return String(filename.dropLast(ext.count))
        }
        return filename
    }
}

/// Why a compressed stream could not be read.
public struct DecompressionError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A streaming decompressor: compressed bytes go in as they arrive, plain bytes come out in chunks, so memory
/// does not grow with the file. `finish` tells a truncated stream from a whole one.
public final class Decompressor {
    private let kind: Compression
    private var impl: any DecompressorEngine

    public init(_ kind: Compression) throws {
        self.kind = kind
        switch kind {
        case .none: impl = PassThrough()
        case .gzip: impl = try GzipEngine()
        case .xz: impl = try XZEngine()
        case .bzip2: impl = try Bzip2Engine()
        case .zstd: impl = try ZstdEngine()
        }
    }

    /// Decompresses `input`, handing each chunk of output to `sink`.
    public func feed(_ input: UnsafeRawBufferPointer, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try impl.feed(input, sink)
    }

    public func feed(_ input: [UInt8], _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try input.withUnsafeBytes { try impl.feed($0, sink) }
    }

    /// Ends the stream: an error if it stopped before its end.
    public func finish(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try impl.finish(sink)
    }

    /// Decompresses a whole buffer (tests, small files).
    public static func decompress(_ data: [UInt8], _ kind: Compression) throws -> [UInt8] {
        let d = try Decompressor(kind)
        var out: [UInt8] = []
        try d.feed(data) { out.append(contentsOf: $0) }
        try d.finish { out.append(contentsOf: $0) }
        return out
    }
}

protocol DecompressorEngine {
    mutating func feed(_ input: UnsafeRawBufferPointer, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws
    mutating func finish(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws
}

private let chunkSize = 256 * 1024

private struct PassThrough: DecompressorEngine {
    func feed(_ input: UnsafeRawBufferPointer, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        if !input.isEmpty { try sink(input) }
    }
    func finish(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws {}
}

/// zlib, gzip framing, several members in a row allowed (as `gzip -d` reads them).
private final class GzipEngine: DecompressorEngine {
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private let out = UnsafeMutablePointer<UInt8>.allocate(capacity: chunkSize)
    private var ended = false
    private var sawInput = false

    init() throws {
        stream.initialize(to: z_stream())
        guard pulpform_inflateInit2(stream, 15 + 16) == Z_OK else { throw DecompressionError("gzip: cannot initialise zlib") }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        out.deallocate()
    }

    func feed(_ input: UnsafeRawBufferPointer, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let base = input.baseAddress, !input.isEmpty else { return }
        sawInput = true
        stream.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        while stream.pointee.avail_in > 0 {
            if ended {
                // Another gzip member follows.
                guard inflateReset(stream) == Z_OK else { throw DecompressionError("gzip: cannot reset zlib") }
                ended = false
            }
            stream.pointee.next_out = out
            stream.pointee.avail_out = uInt(chunkSize)
            let rc = inflate(stream, Z_NO_FLUSH)
            let produced = chunkSize - Int(stream.pointee.avail_out)
            if produced > 0 { try sink(UnsafeRawBufferPointer(start: out, count: produced)) }
            switch rc {
            case Z_OK: continue
            case Z_STREAM_END: ended = true
            case Z_BUF_ERROR: if produced == 0 { return }
            default: throw DecompressionError("gzip: corrupt data (zlib \(rc))")
            }
        }
    }

    func finish(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard sawInput else { throw DecompressionError("gzip: empty file") }
        // Drain what zlib still holds.
        while !ended {
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
            stream.pointee.next_out = out
            stream.pointee.avail_out = uInt(chunkSize)
            let rc = inflate(stream, Z_FINISH)
            let produced = chunkSize - Int(stream.pointee.avail_out)
            if produced > 0 { try sink(UnsafeRawBufferPointer(start: out, count: produced)) }
            if rc == Z_STREAM_END { ended = true; break }
            if produced == 0 { throw DecompressionError("gzip: truncated file (the stream stops before its end)") }
        }
    }
}

private final class XZEngine: DecompressorEngine {
    private let stream = UnsafeMutablePointer<lzma_stream>.allocate(capacity: 1)
    private let out = UnsafeMutablePointer<UInt8>.allocate(capacity: chunkSize)
    private var ended = false

    init() throws {
        stream.initialize(to: pulpform_lzma_stream_init())
        guard lzma_stream_decoder(stream, UInt64.max, PULPFORM_LZMA_CONCATENATED) == LZMA_OK else {
            throw DecompressionError("xz: cannot initialise liblzma")
        }
    }

    deinit {
        lzma_end(stream)
        stream.deallocate()
        out.deallocate()
    }

    private func run(_ action: lzma_action, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        repeat {
            stream.pointee.next_out = out
            stream.pointee.avail_out = chunkSize
            let rc = lzma_code(stream, action)
            let produced = chunkSize - Int(stream.pointee.avail_out)
            if produced > 0 { try sink(UnsafeRawBufferPointer(start: out, count: produced)) }
            switch rc {
            case LZMA_OK: break
            case LZMA_STREAM_END: ended = true; return
            case LZMA_BUF_ERROR:
                if action == LZMA_FINISH { throw DecompressionError("xz: truncated file (the stream stops before its end)") }
                return
            default: throw DecompressionError("xz: corrupt data (liblzma \(rc.rawValue))")
            }
            if action == LZMA_FINISH && produced == 0 && stream.pointee.avail_in == 0 {
                throw DecompressionError("xz: truncated file (the stream stops before its end)")
            }
        } while stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0 || action == LZMA_FINISH
    }

    func feed(_ input: UnsafeRawBufferPointer, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let base = input.baseAddress, !input.isEmpty else { return }
        if ended { throw DecompressionError("xz: data after the end of the stream") }
        stream.pointee.next_in = base.assumingMemoryBound(to: UInt8.self)
        stream.pointee.avail_in = input.count
        try run(LZMA_RUN, sink)
    }

    func finish(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        if ended { return }
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        try run(LZMA_FINISH, sink)
        if !ended { throw DecompressionError("xz: truncated file (the stream stops before its end)") }
    }
}

private final class Bzip2Engine: DecompressorEngine {
    private let stream = UnsafeMutablePointer<bz_stream>.allocate(capacity: 1)
    private let out = UnsafeMutablePointer<CChar>.allocate(capacity: chunkSize)
    private var ended = false
    private var sawInput = false

    init() throws {
        stream.initialize(to: bz_stream())
        guard BZ2_bzDecompressInit(stream, 0, 0) == BZ_OK else { throw DecompressionError("bzip2: cannot initialise libbz2") }
    }

    deinit {
        BZ2_bzDecompressEnd(stream)
        stream.deallocate()
        out.deallocate()
    }

    func feed(_ input: UnsafeRawBufferPointer, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let base = input.baseAddress, !input.isEmpty else { return }
        sawInput = true
        stream.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: CChar.self))
        stream.pointee.avail_in = UInt32(input.count)
        while stream.pointee.avail_in > 0 {
            if ended {
                // A concatenated bzip2 stream (pbzip2 writes these).
                BZ2_bzDecompressEnd(stream)
                stream.pointee = bz_stream()
                stream.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: CChar.self))
                    + (input.count - Int(stream.pointee.avail_in))
                guard BZ2_bzDecompressInit(stream, 0, 0) == BZ_OK else { throw DecompressionError("bzip2: cannot reset libbz2") }
                ended = false
            }
            stream.pointee.next_out = out
            stream.pointee.avail_out = UInt32(chunkSize)
            let rc = BZ2_bzDecompress(stream)
            let produced = chunkSize - Int(stream.pointee.avail_out)
            if produced > 0 { try sink(UnsafeRawBufferPointer(start: out, count: produced)) }
            switch rc {
            case BZ_OK: if produced == 0 && stream.pointee.avail_in == 0 { return }
            case BZ_STREAM_END: ended = true
            default: throw DecompressionError("bzip2: corrupt data (libbz2 \(rc))")
            }
        }
    }

    func finish(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard sawInput else { throw DecompressionError("bzip2: empty file") }
        while !ended {
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
            stream.pointee.next_out = out
            stream.pointee.avail_out = UInt32(chunkSize)
            let rc = BZ2_bzDecompress(stream)
            let produced = chunkSize - Int(stream.pointee.avail_out)
            if produced > 0 { try sink(UnsafeRawBufferPointer(start: out, count: produced)) }
            if rc == BZ_STREAM_END { ended = true; break }
            if rc != BZ_OK || produced == 0 { throw DecompressionError("bzip2: truncated file (the stream stops before its end)") }
        }
    }
}

private final class ZstdEngine: DecompressorEngine {
    private let stream: OpaquePointer
    private let out = UnsafeMutableRawPointer.allocate(byteCount: chunkSize, alignment: 1)
    /// ZSTD_decompressStream's last hint: 0 when a frame has just ended.
    private var pending = 0
    private var sawInput = false

    init() throws {
        guard let s = ZSTD_createDStream() else { throw DecompressionError("zstd: cannot initialise libzstd") }
        stream = s
        ZSTD_initDStream(stream)
    }

    deinit {
        ZSTD_freeDStream(stream)
        out.deallocate()
    }

    func feed(_ input: UnsafeRawBufferPointer, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let base = input.baseAddress, !input.isEmpty else { return }
        sawInput = true
        var inBuf = ZSTD_inBuffer(src: base, size: input.count, pos: 0)
        while true {
            var outBuf = ZSTD_outBuffer(dst: out, size: chunkSize, pos: 0)
            let rc = ZSTD_decompressStream(stream, &outBuf, &inBuf)
            if ZSTD_isError(rc) != 0 {
                throw DecompressionError("zstd: corrupt data (\(String(cString: ZSTD_getErrorName(rc))))")
            }
            pending = rc
            if outBuf.pos > 0 { try sink(UnsafeRawBufferPointer(start: out, count: outBuf.pos)) }
            if inBuf.pos == inBuf.size && outBuf.pos < outBuf.size { return }
        }
    }

    func finish(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard sawInput else { throw DecompressionError("zstd: empty file") }
        if pending != 0 { throw DecompressionError("zstd: truncated file (the stream stops before its end)") }
    }
}
