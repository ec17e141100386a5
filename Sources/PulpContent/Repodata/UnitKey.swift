public import PulpModel

/// Pulp's `unit_key_as_digest`: the sha256 of the key's `k1v1k2v2…`, keys sorted, no separators.
public enum UnitKey {
    public static func digest(_ key: JSONObject) -> String {
        var c = Checksummer(.sha256)
        for (k, v) in key.sorted(by: { $0.key < $1.key }) {
            c.update(Array(k.utf8))
            c.update(Array((v.stringValue ?? v.serialized()).utf8))
        }
        return c.hex()
    }
}
