#!/usr/bin/python3
"""The chat benchmark's sender (scripts/bench-chat): messages at a fixed rate for a while, each
stamped "bench:<phase>:<seq>:<sent µs>" at the moment it is sent, either
  direct  — POSTed to nginx's nchan publisher socket (no function, no database), shaped as the
            chat function's event, or
  real    — POSTed to the chat function through nginx (stored in PostgreSQL, then published).
Prints "sent N failed N rate R post_p50_ms X post_p99_ms Y" when done (post: the POST's round
trip as the sender saw it).

  chat_publisher.py direct <socket> <phase> <rate> <seconds>
  chat_publisher.py real <http port> <cookie> <phase> <rate> <seconds>
"""
import http.client
import json
import socket
import sys
import time


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("nchan")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def stamp(phase, seq):
    return f"bench:{phase}:{seq}:{time.time_ns() // 1000}"


def main():
    mode = sys.argv[1]
    if mode == "direct":
        conn, phase, rate, seconds = UnixConnection(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
        author = {"id": 1, "display_name": "Bench", "username": None, "avatar": None}

        def send(seq):
            body = json.dumps({"type": "message", "message": {"id": seq, "room": "community", "author": author,
                                                              "body": stamp(phase, seq), "created_at": "2026-01-01T00:00:00.000Z"}})
            conn.request("POST", "/channels/room-community", body, {"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            return r.status in (201, 202)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[2]))
        cookie, phase, rate, seconds = sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])

        def send(seq):
            conn.request("POST", "/api/webapp/chat/community/messages", json.dumps({"body": stamp(phase, seq)}),
                         {"Content-Type": "application/json", "Cookie": cookie})
            r = conn.getresponse()
            r.read()
            return r.status == 201

    total = int(rate * seconds)
    sent = failed = 0
    took = []
    start = time.monotonic()
    for seq in range(total):
        due = start + seq / rate
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        t = time.monotonic()
        ok = send(seq)
        took.append(time.monotonic() - t)
        if ok:
            sent += 1
        else:
            failed += 1
    elapsed = time.monotonic() - start
    took.sort()
    print(f"sent {sent} failed {failed} rate {sent / elapsed:.1f} post_p50_ms {took[len(took) // 2] * 1000:.2f} "
          f"post_p99_ms {took[int(len(took) * 0.99)] * 1000:.2f}")


if __name__ == "__main__":
    main()
