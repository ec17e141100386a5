import CDispatch
import ArgumentParser
import Foundation
import PulpContract
import PulpCore
import PulpModel
import PulpContent
import PulpStore
import Reconciler

#if canImport(Glibc)
import Glibc
#endif

/// The embedded store as a reconciliation target: the Pulp service over it, and the reconciler's state in it.
struct EmbeddedTarget {
    let store: PulpStore
    let pulp: LocalPulp
    let state: StoreReconcilerState

    init(store: PulpStore, workers: Int = 4, readOnly: Bool = false, content: ContentDirectory? = nil) {
        self.store = store
        pulp = LocalPulp(store: store, workers: workers, contentHashNotes: OwnershipNotes.contentHash, contentDirectory: content)
        state = StoreReconcilerState(store: pulp, readOnly: readOnly)
    }

    var description: String { "embedded store \(EmbeddedTarget.absolute(store.path))" }

    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }
}
