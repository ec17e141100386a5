import Hummingbird
import PulpModel

extension PulpAPI {
    /// `GET /status/`, the one route that needs no credentials (Katello and load balancers probe it). Pulp 2.8's
    /// shape; pulpform has no message broker, so it is reported connected, and its one worker is this server.
    func addStatusRoutes(_ r: RouteTable) {
        r.unauthenticated(.get, "/status/") { _, _ in
            let now = now().iso8601
            return json([
                "known_workers": [["_id": "pulpform", "_ns": "workers", "name": "pulpform", "last_heartbeat": .string(now)]],
                "messaging_connection": ["connected": true],
                "database_connection": ["connected": true],
                "api_version": "2",
                "versions": ["platform_version": "2.8.7"],
            ])
        }
    }
}
