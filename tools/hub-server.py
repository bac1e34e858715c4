#!/usr/bin/env python3
"""hub-server.py — a local stand-in for the Hugging Face hub, to try `sotto pull` and `-m hf:` with no network.

Serves each DIR given as the repo local/<DIR's name> (its files, subfolders included) in the hub's URL layout:
HEAD/GET /OWNER/NAME/resolve/main/FILE answers 302 to /cdn/<sha256> with X-Repo-Commit, X-Linked-Etag (the
sha256) and X-Linked-Size; /cdn/<sha256> serves the bytes and honours Range; /api/models/OWNER/NAME/tree/main lists
the files. Every answer carries the CORS headers the hub sends (Access-Control-Allow-Origin: *, its headers
exposed), so the browser app can use it too (its Settings, docs/models.md). --corrupt FILE serves FILE (a path in a
DIR, e.g. notes.gguf) with one byte changed while publishing the true file's sha256: a download that must fail
verification. Binds 127.0.0.1 only; prints "serving http://127.0.0.1:PORT/ (repos: ...)" first.

    python3 tools/hub-server.py tests/fixtures/models --port 8089 &
    HF_ENDPOINT=http://127.0.0.1:8089 build/sotto pull local/models:smollm2-q8_0.gguf
    build/sotto generate -m hf:local/models:smollm2-q8_0.gguf -p hi --offline

Does not: authenticate, paginate, or serve other revisions than main. Python's standard library only.
"""
import argparse
import hashlib
import http.server
import json
import os
import sys
import urllib.parse

COMMIT = "5077e0000000000000000000000000000000beef"


CORS = [("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Expose-Headers",
         "X-Repo-Commit, X-Linked-Etag, X-Linked-Size, X-Error-Code, ETag, Content-Range, Content-Length, Link")]


def load(dirs, corrupt=()):
    repos, blobs = {}, {}
    for d in dirs:
        files = {}
        for root, _, names in os.walk(d):
            for n in sorted(names):
                path = os.path.join(root, n)
                with open(path, "rb") as f:
                    data = f.read()
                sha = hashlib.sha256(data).hexdigest()
                rel = os.path.relpath(path, d).replace(os.sep, "/")
                blob = sha + (".corrupt" if rel in corrupt else "")  # its own CDN path: the same bytes may be served intact
                files[rel] = (sha, len(data), blob)
                blobs[blob] = path
        repos["local/" + os.path.basename(os.path.abspath(d))] = files
    return repos, blobs


def handler(repos, blobs):
    class Hub(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def answer(self, status, headers=(), body=b""):
            self.send_response(status)
            for k, v in CORS + list(headers):
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def route(self):
            path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
            parts = path.lstrip("/").split("/")
            if len(parts) >= 5 and parts[2:4] == ["resolve", "main"]:
                repo, file = "/".join(parts[:2]), "/".join(parts[4:])
                if repo not in repos:
                    return self.answer(401, [("X-Error-Code", "RepoNotFound")])
                if file not in repos[repo]:
                    return self.answer(404, [("X-Error-Code", "EntryNotFound")])
                sha, size, blob = repos[repo][file]
                cdn = "http://%s/cdn/%s" % (self.headers.get("Host", "127.0.0.1"), blob)  # absolute, as the hub's
                return self.answer(302, [("Location", cdn), ("X-Repo-Commit", COMMIT),
                                         ("X-Linked-Etag", '"%s"' % sha), ("X-Linked-Size", str(size))])
            if len(parts) == 6 and parts[0] == "api" and parts[1] == "models" and parts[4:] == ["tree", "main"]:
                repo = "/".join(parts[2:4])
                if repo not in repos:
                    return self.answer(404, [("X-Error-Code", "RepoNotFound")])
                tree = [{"type": "file", "path": p, "size": n, "oid": s, "lfs": {"oid": s, "size": n}}
                        for p, (s, n, _) in sorted(repos[repo].items())]
                return self.answer(200, [("Content-Type", "application/json")], json.dumps(tree).encode())
            if len(parts) == 2 and parts[0] == "cdn" and parts[1] in blobs:
                with open(blobs[parts[1]], "rb") as f:
                    data = f.read()
                if parts[1].endswith(".corrupt") and data:
                    mid = len(data) // 2
                    data = data[:mid] + bytes([data[mid] ^ 0x01]) + data[mid + 1:]
                rng = self.headers.get("Range", "")
                if rng.startswith("bytes=") and rng.endswith("-") and rng[6:-1].isdigit():
                    start = int(rng[6:-1])
                    if start >= len(data):
                        return self.answer(416, [("Content-Range", "bytes */%d" % len(data))])
                    return self.answer(206, [("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))],
                                       data[start:])
                return self.answer(200, [("Content-Type", "application/octet-stream")], data)
            return self.answer(404)

        def do_OPTIONS(self):  # a CORS preflight (the app sends none: its requests are simple GETs)
            self.answer(204, [("Access-Control-Allow-Methods", "GET, HEAD"),
                              ("Access-Control-Allow-Headers", "Range, Authorization"), ("Access-Control-Max-Age", "600")])

        do_GET = route
        do_HEAD = route

    return Hub


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dirs", nargs="+", metavar="DIR", help="folders to serve, each as the repo local/<its name>")
    ap.add_argument("--port", type=int, default=0, help="port (0: any free one)")
    ap.add_argument("--corrupt", action="append", default=[], metavar="FILE",
                    help="serve FILE (a path in a DIR) with one byte changed, its true sha256 published")
    a = ap.parse_args()
    for d in a.dirs:
        if not os.path.isdir(d):
            sys.exit("hub-server.py: %s: not a folder" % d)
    repos, blobs = load(a.dirs, set(a.corrupt))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), handler(repos, blobs))
    print("serving http://127.0.0.1:%d/ (repos: %s)" % (srv.server_port, ", ".join(sorted(repos))), flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
