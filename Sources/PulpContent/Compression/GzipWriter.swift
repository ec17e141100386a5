import CCompression

/// A streaming gzip compressor that hashes what goes in (the `open-checksum`) and what comes out (the file's
/// checksum) as it goes, so a metadata file is read once.
public final class GzipWriter {
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private let out = UnsafeMutablePointer<UInt8>.allocate(capacity: 256 * 1024)
    private let outSize = 256 * 1024
    private let sink: (UnsafeRawBufferPointer) throws -> Void
    public private(set) var openChecksum: Checksummer
    public private(set) var checksum: Checksummer
    public private(set) var openSize = 0
    public private(set) var size = 0

    /// - Parameters:
    ///   - level: zlib's level (6, its default, unless asked).
    ///   - sink: receives the compressed bytes.
    public init(level: Int32 = 6, checksumType: ChecksumType, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        self.sink = sink
        openChecksum = Checksummer(checksumType)
        checksum = Checksummer(checksumType)
        stream.initialize(to: z_stream())
        guard pulpform_deflateInit2(stream, level, 15 + 16) == Z_OK else { throw DecompressionError("gzip: cannot initialise zlib") }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
        out.deallocate()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        openChecksum.update(bytes)
        openSize += bytes.count
        stream.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(bytes.count)
        try pump(Z_NO_FLUSH)
    }

    public func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }
    public func write(_ text: String) throws {
        var t = text
        try t.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    /// Ends the gzip stream.
    public func finish() throws {
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        try pump(Z_FINISH)
    }

    private func pump(_ flush: Int32) throws {
        while true {
            stream.pointee.next_out = out
            stream.pointee.avail_out = uInt(outSize)
            let rc = deflate(stream, flush)
            let produced = outSize - Int(stream.pointee.avail_out)
            if produced > 0 {
                let chunk = UnsafeRawBufferPointer(start: out, count: produced)
                checksum.update(chunk)
                size += produced
                try sink(chunk)
            }
            if rc == Z_STREAM_END { return }
            guard rc == Z_OK || rc == Z_BUF_ERROR else { throw DecompressionError("gzip: zlib error \(rc)") }
            if flush == Z_NO_FLUSH && stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { return }
        }
    }
}
