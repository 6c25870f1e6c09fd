#!/usr/bin/python3
"""A realtime subscriber for the tests: connects to a chat room through nginx as a browser would
(WebSocket, or EventSource) and writes what happens, a line each, to OUTFILE:

  open                 subscribed
  message <data>       an event (nchan's data as it came)
  refused <status>     nginx refused the subscription
  closed <code>        the server ended the connection

  realtime_client.py ws|sse URL COOKIE OUTFILE SECONDS
It stops after SECONDS, or when the connection ends.
"""
import asyncio
import http.client
import sys
import urllib.parse

import websockets


def write(out, line):
    out.write(line + "\n")
    out.flush()


async def websocket(url, cookie, out, seconds):
    try:
        async with websockets.connect(url, extra_headers={"Cookie": cookie}, open_timeout=5) as ws:
            write(out, "open")
            try:
                async for data in ws:
                    write(out, "message " + data)
            except websockets.ConnectionClosed:
                pass
            write(out, f"closed {ws.close_code}")
    except websockets.InvalidStatusCode as e:
        write(out, f"refused {e.status_code}")


def eventsource(url, cookie, out, seconds):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=seconds)
    conn.request("GET", u.path, headers={"Cookie": cookie, "Accept": "text/event-stream"})
    r = conn.getresponse()
    if r.status != 200:
        write(out, f"refused {r.status}")
        return
    write(out, "open")
    data = []
    while True:
        line = r.fp.readline()
        if not line:
            write(out, "closed eof")
            return
        line = line.decode().rstrip("\r\n")
        if line.startswith("data: "):
            data.append(line[6:])
        elif line == "" and data:
            write(out, "message " + "\n".join(data))
            data = []


def main():
    kind, url, cookie, outfile, seconds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
    with open(outfile, "w") as out:
        try:
            if kind == "ws":
                asyncio.run(asyncio.wait_for(websocket(url, cookie, out, seconds), seconds))
            else:
                eventsource(url, cookie, out, seconds)
        except (asyncio.TimeoutError, TimeoutError, OSError):
            write(out, "timeout")


if __name__ == "__main__":
    main()
