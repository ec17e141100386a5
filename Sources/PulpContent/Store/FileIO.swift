import Foundation

/// A file written with write(2), for downloads and published metadata.
public final class FileWriter {
    private var fd: Int32
    public let path: String

    public init(_ path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ContentError("cannot create \(path): \(String(cString: strerror(errno)))") }
    }

    deinit { if fd >= 0 { _ = Foundation.close(fd) } }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard var p = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = Foundation.write(fd, p, left)
            if n < 0 {
                if errno == EINTR { continue }
                throw ContentError("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            left -= n
            p += n
        }
    }

    public func write(_ text: String) throws {
        var t = text
        try t.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    /// Starts the file over (a retried download).
    public func truncate() throws {
        guard ftruncate(fd, 0) == 0, lseek(fd, 0, SEEK_SET) == 0 else {
            throw ContentError("cannot truncate \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Flushes to disk and closes.
    public func close(sync: Bool = false) throws {
        guard fd >= 0 else { return }
        if sync { fsync(fd) }
        let rc = Foundation.close(fd)
        fd = -1
        guard rc == 0 else { throw ContentError("cannot close \(path): \(String(cString: strerror(errno)))") }
    }
}

/// A file read in chunks.
public final class FileReader {
    private var fd: Int32
    public let path: String

    public init(_ path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ContentError("cannot open \(path): \(String(cString: strerror(errno)))") }
    }

    deinit { close() }

    /// The next chunk, or nil at the end.
    public func read(_ size: Int = 1 << 20) throws -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: size)
        let n = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, size) }
        if n < 0 { throw ContentError("cannot read \(path): \(String(cString: strerror(errno)))") }
        if n == 0 { return nil }
        buffer.removeSubrange(n...)
        return buffer
    }

    public func close() {
        if fd >= 0 { _ = Foundation.close(fd) }
        fd = -1
    }
}
