#!/usr/bin/env python3
"""keepalive_server.py — a tiny OpenAI-compatible server on 127.0.0.1 that
advertises keep-alive after a streamed reply and then lets the connection
die, as llama.cpp's llama-server does (issue 15, phantom retries).

  keepalive_server.py MODE PORT_FILE COUNT_FILE

Every reply is an SSE stream of one chat chunk ("ok") and [DONE], sent
with "Connection: keep-alive" and "Keep-Alive: timeout=5, max=100".
After the reply, on the same connection:
  unread  waits until the next request's bytes arrive, then closes the
          socket without reading them (the kernel answers with a reset):
          the server never saw that request;
  read    reads the next request whole, then closes without replying:
          the server saw it (it may have acted on it);
  idle    advertises "timeout=1" and serves every request that arrives
          within 1 s of the previous reply; a request that comes later is
          not read and the socket is closed (a server's idle close, without
          the race): it counts as "stale".
COUNT_FILE gets, after every request, "requests connections stale": the
requests read whole, the connections accepted, the stale reuses.
"""
import select
import socket
import sys
import threading
import time

mode, port_file, count_file = sys.argv[1], sys.argv[2], sys.argv[3]
lock = threading.Lock()
stats = {"requests": 0, "connections": 0, "stale": 0}


def note(key):
    with lock:
        stats[key] += 1
        with open(count_file, "w") as f:
            f.write("%d %d %d\n" % (stats["requests"], stats["connections"],
                                     stats["stale"]))


def read_request(conn, buf):
    """Reads one request (headers + Content-Length body); returns the
    bytes left over, or None when the peer closed."""
    while b"\r\n\r\n" not in buf:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        rest += chunk
    return rest[length:]


timeout = b"1" if mode == "idle" else b"5"


def reply(conn):
    chunk = ('{"id":"x","object":"chat.completion.chunk","model":"m","choices":'
             '[{"index":0,"delta":{"content":"ok"},"finish_reason":"stop"}]}')
    events = "data: %s\n\ndata: [DONE]\n\n" % chunk
    body = events.encode()
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                 b"Connection: keep-alive\r\nKeep-Alive: timeout=" + timeout + b", max=100\r\n"
                 b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def serve(conn):
    try:
        buf = read_request(conn, b"")
        if buf is None:
            return
        note("requests")
        reply(conn)
        while mode == "idle":
            t0 = time.monotonic()
            select.select([conn], [], [], 10)
            if not conn.recv(1, socket.MSG_PEEK):
                return  # the client closed it
            if time.monotonic() - t0 > 1.0:
                note("stale")
                return
            buf = read_request(conn, buf)
            if buf is None:
                return
            note("requests")
            reply(conn)
        if mode == "unread":
            select.select([conn], [], [], 10)
        else:
            if read_request(conn, buf) is not None:
                note("requests")
    except OSError:
        pass
    finally:
        conn.close()


def main():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(s.getsockname()[1]))
    import os
    os.rename(port_file + ".tmp", port_file)
    while True:
        conn, _ = s.accept()
        note("connections")
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


main()
