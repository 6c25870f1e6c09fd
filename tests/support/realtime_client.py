#!/usr/bin/python3
"""A realtime subscriber for the tests: connects to a chat room through nginx as a browser would
(WebSocket, or EventSource) and writes what happens, a line each, to OUTFILE:

  open                 subscribed
  message <data>       an event (nchan's data as it came)
  refused <status>     nginx refused the subscription
  closed <code>        the server ended the connection
  tls <error>          the server's certificate was refused

  realtime_client.py ws|sse URL COOKIE OUTFILE SECONDS [CA_FILE]
It stops after SECONDS, or when the connection ends. A wss:// or https:// URL is checked against
CA_FILE (a test's own certificate) instead of the system's authorities.
"""
import asyncio
import http.client
import ssl
import sys
import urllib.parse

import websockets


def write(out, line):
    out.write(line + "\n")
    out.flush()


async def websocket(url, cookie, out, seconds, tls):
    try:
        async with websockets.connect(url, extra_headers={"Cookie": cookie}, open_timeout=5, ssl=tls) as ws:
            write(out, "open")
            try:
                async for data in ws:
                    write(out, "message " + data)
            except websockets.ConnectionClosed:
                pass
            write(out, f"closed {ws.close_code}")
    except websockets.InvalidStatusCode as e:
        write(out, f"refused {e.status_code}")


def eventsource(url, cookie, out, seconds, tls):
    u = urllib.parse.urlsplit(url)
    if u.scheme == "https":
        conn = http.client.HTTPSConnection(u.hostname, u.port, timeout=seconds, context=tls)
    else:
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
    tls = None
    if url.startswith("wss://") or url.startswith("https://"):
        tls = ssl.create_default_context(cafile=sys.argv[6] if len(sys.argv) > 6 else None)
    with open(outfile, "w") as out:
        try:
            if kind == "ws":
                asyncio.run(asyncio.wait_for(websocket(url, cookie, out, seconds, tls), seconds))
            else:
                eventsource(url, cookie, out, seconds, tls)
        except ssl.SSLError as e:  # an OSError too: said apart, it isn't a timeout
            write(out, f"tls {e}")
        except (asyncio.TimeoutError, TimeoutError, OSError):
            write(out, "timeout")


if __name__ == "__main__":
    main()
