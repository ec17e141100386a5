"""pulpform's end-to-end test with the real pubtools-pulplib client (issue 15).

Usage: pubtools-e2e.py SERVER_URL FEED_URL FILE_TO_UPLOAD
Expects repositories made by the calling test: `zoo` (yum, no content yet), `prod` (yum, empty) and `files`
(iso, notes `_repo-type: iso-repo`). Exits non-zero with a message on the first failed check.
"""
import sys

from pubtools.pulplib import Client, Criteria, FileUnit, Matcher, RpmUnit, YumSyncOptions

server, feed, upload = sys.argv[1:4]
client = Client(server, threads=2)


def check(cond, message):
    if not cond:
        print("FAILED: " + message, file=sys.stderr)
        sys.exit(1)


zoo = client.get_repository("zoo").result()
prod = client.get_repository("prod").result()
files = client.get_repository("files").result()

# A sync, through pubtools' own sync call.
tasks = zoo.sync(YumSyncOptions(feed=feed)).result()
check(tasks and all(t.succeeded for t in tasks), "sync tasks: %r" % (tasks,))

# search_content by name: the repository's units, as RpmUnit objects.
found = list(zoo.search_content(Criteria.with_field("name", "pulpform-app")).result())
check(len(found) == 2, "search by name found %r" % (found,))
rpms = [u for u in found if isinstance(u, RpmUnit) and u.arch == "noarch"]
check(len(rpms) == 1 and rpms[0].version == "2.0", "the binary package: %r" % (found,))
all_units = list(zoo.search_content().result())
check(len(all_units) == 9, "every unit of the synced repository: %d" % len(all_units))

# The client-wide search with repository memberships.
everywhere = list(client.search_content(Criteria.with_field("name", "pulpform-app")).result())
check(any(u.repository_memberships == ["zoo"] for u in everywhere), "client search: %r" % (everywhere,))

# copy_content: the package (binary and source: pubtools' RpmUnit is both types) to prod, reported as copied.
copied = client.copy_content(zoo, prod, Criteria.and_(Criteria.with_unit_type(RpmUnit),
                                                      Criteria.with_field("name", "pulpform-app"))).result()
units = [u for t in copied for u in t.units]
check(sorted(u.arch for u in units) == ["noarch", "src"] and {u.name for u in units} == {"pulpform-app"}, "copied units: %r" % (units,))
in_prod = list(prod.search_content().result())
check(sorted((u.name, u.arch) for u in in_prod) == [("pulpform-app", "noarch"), ("pulpform-app", "src")], "prod holds: %r" % (in_prod,))

# remove_content: gone from prod.
removed = prod.remove_content(criteria=Criteria.with_unit_type(RpmUnit)).result()
check(sum(len(t.units) for t in removed) == 2, "removed: %r" % (removed,))
check(list(prod.search_content().result()) == [], "prod after remove")

# upload_file to the file repository, then found again.
tasks = files.upload_file(upload, relative_url="images/upload.img").result()
check(tasks and all(t.succeeded for t in tasks), "upload tasks: %r" % (tasks,))
isos = list(files.search_content(Criteria.with_field("path", "images/upload.img")).result())
check(len(isos) == 1 and isinstance(isos[0], FileUnit) and isos[0].size > 0, "the uploaded file: %r" % (isos,))
again = list(client.search_content(Criteria.and_(Criteria.with_unit_type(FileUnit), Criteria.with_field("sha256sum", isos[0].sha256sum))).result())
check(len(again) == 1 and again[0].repository_memberships == ["files"], "found by checksum: %r" % (again,))


print("pubtools-pulplib: sync, search by name, client search, copy, remove and upload_file all work")
