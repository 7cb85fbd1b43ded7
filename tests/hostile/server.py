#!/usr/bin/env python3
"""server.py - a hostile model server on loopback, for tests/cli/hostile.sh.

Speaks just enough HTTP/1.1 to be reached as an OpenAI-compatible base URL
http://127.0.0.1:PORT/<attack>/v1 and then misbehaves in the way <attack>
names (the first path segment).  Python 3 standard library only; one thread
per connection; writes raw bytes so every attack is exact.

  ok          a normal chat completion ("fine")
  huge        Content-Length: 2 GB, then bytes as fast as the client reads
  endless     chunked body that never ends
  gzip        a 1 GiB gzip bomb (about 1 MB on the wire)
  deep        200 OK with JSON nested 200,000 levels deep
  wide        200 OK with a 60 MB JSON list of one-digit numbers (30 M values)
  badutf8     200 OK, valid JSON whose content holds bytes that are not UTF-8
  slowloris   headers, then one body byte every 0.5 s, forever
  slowheaders the status line, then one header byte every 0.5 s, forever
  redirect    302 to /ok/... carrying a valid completion body
  hugeheaders a 4 MB header line
  retryafter  429 with Retry-After: 999999999 (31 years)
  echokey     401 whose body quotes the request's Authorization header
  sse         an endless stream of small SSE chunks (for stream: true)

Usage: server.py PORTFILE   (binds port 0, writes the port to PORTFILE)
"""
import json
import socket
import sys
import threading
import time
import zlib

def completion(model):
    """A normal chat completion, naming the model asked for."""
    return json.dumps({
        "id": "x", "object": "chat.completion", "model": model,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": "fine"}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1,
                  "total_tokens": 2},
    }).encode()

_bomb = None
_bomb_lock = threading.Lock()


def gzip_bomb():
    """1 GiB of zeros, gzip-compressed once (about 1 MB)."""
    global _bomb
    with _bomb_lock:
        if _bomb is None:
            c = zlib.compressobj(9, zlib.DEFLATED, 31)
            zeros = b"\0" * (1 << 20)
            parts = [c.compress(zeros) for _ in range(1024)]
            parts.append(c.flush())
            _bomb = b"".join(parts)
    return _bomb


def read_request(conn):
    """Reads one request; returns (path, headers dict lower-cased, the
    model named in the JSON body or "m")."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None, {}, ""
        data += chunk
        if len(data) > 1 << 20:
            return None, {}, ""
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    path = parts[1] if len(parts) > 1 else "/"
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    need = int(headers.get("content-length", "0") or 0)
    while len(rest) < need:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    try:
        model = str(json.loads(rest.decode("utf-8")).get("model", "m"))
    except (ValueError, AttributeError):
        model = "m"
    return path, headers, model


def send(conn, status, headers, body=b""):
    head = "HTTP/1.1 %s\r\n" % status
    for k, v in headers:
        head += "%s: %s\r\n" % (k, v)
    conn.sendall(head.encode("latin-1") + b"\r\n" + body)


def forever(conn, piece, delay=0.0):
    while True:
        conn.sendall(piece)
        if delay:
            time.sleep(delay)


def handle(conn):
    try:
        path, headers, model = read_request(conn)
        reply = completion(model)
        if path is None:
            return
        attack = path.strip("/").split("/")[0]
        js = [("Content-Type", "application/json")]
        if attack == "ok":
            send(conn, "200 OK", js + [("Content-Length", len(reply))],
                 reply)
        elif attack == "huge":
            send(conn, "200 OK", js + [("Content-Length", 2 << 30)],
                 b'{"choices":[{"message":{"content":"')
            forever(conn, b"A" * 65536)
        elif attack == "endless":
            send(conn, "200 OK", js + [("Transfer-Encoding", "chunked")])
            piece = b"A" * 65536
            forever(conn, b"%x\r\n%s\r\n" % (len(piece), piece))
        elif attack == "gzip":
            bomb = gzip_bomb()
            send(conn, "200 OK", js + [("Content-Encoding", "gzip"),
                                       ("Content-Length", len(bomb))], bomb)
        elif attack == "deep":
            n = 200000
            body = b"[" * n + b"]" * n
            send(conn, "200 OK", js + [("Content-Length", len(body))], body)
        elif attack == "wide":
            n = 30 * 1000 * 1000
            body = b"[" + b"1," * (n - 1) + b"1]"
            send(conn, "200 OK", js + [("Content-Length", len(body))], body)
        elif attack == "badutf8":
            body = (b'{"choices":[{"index":0,"finish_reason":"stop",'
                    b'"message":{"role":"assistant","content":"bad \xff\xfe'
                    b' \xc3\x28 bytes"}}]}')
            send(conn, "200 OK", js + [("Content-Length", len(body))], body)
        elif attack == "slowloris":
            send(conn, "200 OK", js + [("Content-Length", 1 << 20)], b"{")
            forever(conn, b" ", 0.5)
        elif attack == "slowheaders":
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            forever(conn, b"X", 0.5)
        elif attack == "redirect":
            send(conn, "302 Found", js + [
                ("Location", "/ok/v1/chat/completions"),
                ("Content-Length", len(reply))], reply)
        elif attack == "hugeheaders":
            send(conn, "200 OK", js + [("X-Huge", "A" * (4 << 20)),
                                       ("Content-Length", len(reply))],
                 reply)
        elif attack == "retryafter":
            body = b'{"error":{"message":"slow down"}}'
            send(conn, "429 Too Many Requests", js + [
                ("Retry-After", "999999999"),
                ("Content-Length", len(body))], body)
        elif attack == "echokey":
            body = json.dumps({"error": {"message": "invalid key: %s" %
                                         headers.get("authorization", "")}
                               }).encode()
            send(conn, "401 Unauthorized",
                 js + [("Content-Length", len(body))], body)
        elif attack == "sse":
            send(conn, "200 OK", [("Content-Type", "text/event-stream"),
                                  ("Transfer-Encoding", "chunked")])
            ev = (b'data: {"choices":[{"index":0,"delta":{"content":"' +
                  b"A" * 1000 + b'"}}]}\n\n')
            forever(conn, b"%x\r\n%s\r\n" % (len(ev), ev))
        else:
            send(conn, "404 Not Found", [("Content-Length", 0)])
    except (BrokenPipeError, ConnectionResetError, OSError):
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def main():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    with open(sys.argv[1], "w") as f:
        f.write(str(srv.getsockname()[1]))
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
