#!/usr/bin/python3
"""A local stand-in for the Telegram Bot API and ePayco's APIs that records calls.

  fake_bot_api.py PORT_FILE [ADDRESS]

Binds ADDRESS (127.0.0.1 by default; another host's programs reach it on a network namespace's
address) on a free port and writes the port to PORT_FILE. Every POST to /bot<token>/<method>
is answered like Telegram, in the current mode, and recorded once it has been answered OK.
Control (for tests):
  POST /__mode   {"mode": "ok" | "fail500" | "429" | "403", "retry_after": 1, "delay_ms": 0}
  GET  /__calls  → [{"method": …, "token": …, "body": {…}, "at": unix time}, …]   (accepted calls only)
  POST /__reset  → clears the recorded calls
ePayco: GET /validation/v1/reference/<ref> answers from POST /__validation {"<ref>": {x_ fields}}
(unknown ref → success false); POST /login and /payment/session/create (Checkout v2).
"epayco_mode": "down" in /__mode makes every ePayco route answer 503; "validation_delay_ms" delays
every validation answer (ePayco's round trip from production is hundreds of milliseconds).
  GET /__validation_calls?ref=<ref> → {"count": N}: how many times ePayco was asked about it.
Navidrome: GET /rest/getNowPlaying.view (user "radio", password "sesame", Subsonic salted
token) answers per "navidrome" in /__mode: "one" (an entry), "none" (nothing playing), "down"
(503); wrong credentials → Subsonic error 40. "navidrome_delay_ms" delays each answer.
  GET /__navidrome_calls → {"count": N}
Telegram's OAuth page: GET /auth?…&return_to=URL → 302 to URL#tgAuthResult=<base64url of the
fields set by POST /__oauth_login {fields}> (signed by the test; none set → 400).
ePayco's checkout in a browser: GET /checkout.js defines ePayco.checkout (configure().open(params)
goes to /checkout-page with the invoice and return address); GET /checkout-page shows them and a
link back to the shop's response URL with ?ref_payco=R<invoice> (the test confirms the payment).
Telegram's web client: GET /miniapp-host?src=URL shows URL in an iframe (open it on another site
than the stack's, e.g. http://localhost:<port>/, for a cross-site frame).
A radio station: GET /radio.mp3 answers audio/mpeg bytes ("ID3" and a fixed tail);
  GET /__station_cookies → {"count": N}: requests to it that carried a Cookie header.
Standard library only.
"""
import json, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

state = {"mode": "ok", "retry_after": 1, "delay_ms": 0, "epayco_mode": "ok", "validation_delay_ms": 0,
         "navidrome": "one", "navidrome_delay_ms": 0}
navidrome_calls = [0]
station_cookies = [0]
validation = {}
validation_calls = {}
calls = []
oauth_login = [None]
lock = threading.Lock()
message_id = [0]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def navidrome(self):
        import hashlib, urllib.parse
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        with lock:
            navidrome_calls[0] += 1
            mode, delay = state["navidrome"], state["navidrome_delay_ms"]
        if delay:
            time.sleep(delay / 1000)
        if mode == "down":
            return self.answer(503, {"error": "down"})
        ok = {"status": "ok", "version": "1.16.1"}
        expected = hashlib.md5(("sesame" + q.get("s", "")).encode()).hexdigest()
        if q.get("u") != "radio" or len(q.get("s", "")) < 6 or q.get("t") != expected:
            return self.answer(200, {"subsonic-response": {"status": "failed", "version": "1.16.1",
                                                           "error": {"code": 40, "message": "Wrong username or password"}}})
        if mode == "none":
            return self.answer(200, {"subsonic-response": dict(ok, nowPlaying={})})
        entry = {"id": "t1", "title": "Noche Larga", "artist": "Los Fakes", "album": "Pruebas", "duration": 215,
                 "coverArt": "al-1", "minutesAgo": 0}
        return self.answer(200, {"subsonic-response": dict(ok, nowPlaying={"entry": [entry]})})

    def page(self, status, content_type, text, location=None):
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if location:
            self.send_header("Location", location)
        self.end_headers()
        self.wfile.write(data)

    def browser_pages(self):
        """Telegram's OAuth page and ePayco's checkout, as a browser meets them."""
        import base64, html, urllib.parse
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/auth":
            with lock:
                fields = oauth_login[0]
            if fields is None or not q.get("return_to"):
                return self.page(400, "text/plain", "no login prepared")
            result = base64.urlsafe_b64encode(json.dumps(fields).encode()).decode().rstrip("=")
            return self.page(302, "text/plain", "", q["return_to"] + "#tgAuthResult=" + result)
        if url.path == "/checkout.js":
            return self.page(200, "application/javascript", """window.ePayco = {checkout: {configure(cfg) {
  return {open(params) {
    const p = params || {};
    const q = new URLSearchParams({invoice: p.invoice || '', session: cfg.sessionId || '', response: p.response || '',
                                   amount: p.amount || '', currency: p.currency || '', extra1: p.extra1 || '',
                                   extra2: p.extra2 || '', extra3: p.extra3 || ''});
    location.href = '%s/checkout-page?' + q;
  }};
}}};""" % ("http://%s:%d" % self.server.server_address))
        if url.path == "/miniapp-host":
            # Telegram's web client: the Mini App in a cross-site iframe.
            return self.page(200, "text/html; charset=utf-8", '<!doctype html><title>Telegram Web</title>'
                             f'<iframe id="app" src="{html.escape(q.get("src", ""))}" width="400" height="700"></iframe>')
        if url.path == "/checkout-page":
            invoice = q.get("invoice", "")
            back = q.get("response", "") + ("&" if "?" in q.get("response", "") else "?") + "ref_payco=R" + invoice
            body = "".join(f'<p><span>{html.escape(k)}</span>: <span id="{html.escape(k)}">{html.escape(v)}</span></p>'
                           for k, v in q.items())
            return self.page(200, "text/html; charset=utf-8", f"""<!doctype html><title>Fake ePayco</title>
<h1>Fake ePayco checkout</h1>{body}<a id="return" href="{html.escape(back)}">Back to the shop</a>""")
        return None

    def do_GET(self):
        if self.path.split("?")[0] in ("/auth", "/checkout.js", "/checkout-page", "/miniapp-host"):
            return self.browser_pages()
        if self.path == "/radio.mp3":
            with lock:
                station_cookies[0] += 1 if self.headers.get("Cookie") else 0
            body = b"ID3" + b"pnptv-radio-bytes" * 64
            self.send_response(200)
            self.send_header("Content-Type", "audio/mpeg")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.path == "/__station_cookies":
            with lock:
                return self.answer(200, {"count": station_cookies[0]})
        if self.path.startswith("/rest/getNowPlaying.view"):
            return self.navidrome()
        if self.path == "/__navidrome_calls":
            with lock:
                return self.answer(200, {"count": navidrome_calls[0]})
        if self.path == "/__calls":
            with lock:
                return self.answer(200, calls)
        if self.path.startswith("/__validation_calls?ref="):
            with lock:
                return self.answer(200, {"count": validation_calls.get(self.path.split("=", 1)[1], 0)})
        if self.path.startswith("/validation/v1/reference/"):
            ref = self.path.rsplit("/", 1)[1]
            with lock:
                validation_calls[ref] = validation_calls.get(ref, 0) + 1
                delay, mode = state["validation_delay_ms"], state["epayco_mode"]
            if delay:
                time.sleep(delay / 1000)
            if mode == "down":
                return self.answer(503, {"success": False})
            with lock:
                data = validation.get(ref)
            if data is None:
                return self.answer(200, {"success": False, "text_response": "not found"})
            return self.answer(200, {"success": True, "data": data})
        self.answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
        if self.path == "/__mode":
            with lock:
                state.update(json.loads(body or b"{}"))
            return self.answer(200, {"ok": True})
        if self.path == "/__oauth_login":
            with lock:
                oauth_login[0] = json.loads(body or b"null")
            return self.answer(200, {"ok": True})
        if self.path == "/__validation":
            with lock:
                validation.update(json.loads(body or b"{}"))
            return self.answer(200, {"ok": True})
        if self.path in ("/login", "/payment/session/create"):
            if state["epayco_mode"] == "down":
                return self.answer(503, {"success": False})
            with lock:
                calls.append({"method": self.path, "token": self.headers.get("Authorization", ""),
                              "body": json.loads(body or b"{}")})
            if self.path == "/login":
                return self.answer(200, {"token": "apify-token"})
            return self.answer(200, {"success": True, "data": {"sessionId": "session-%d" % len(calls)}})
        if self.path == "/__reset":
            with lock:
                calls.clear()
            return self.answer(200, {"ok": True})
        parts = self.path.strip("/").split("/")
        if len(parts) != 2 or not parts[0].startswith("bot"):
            return self.answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        with lock:
            mode, retry_after, delay = state["mode"], state["retry_after"], state["delay_ms"]
        if delay:
            time.sleep(delay / 1000)
        if mode == "fail500":
            return self.answer(500, {"ok": False, "error_code": 500, "description": "Internal Server Error"})
        if mode == "429":
            return self.answer(429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry later",
                                     "parameters": {"retry_after": retry_after}})
        if mode == "403":
            return self.answer(403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"})
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return self.answer(400, {"ok": False, "error_code": 400, "description": "Bad Request: invalid JSON"})
        with lock:
            message_id[0] += 1
            calls.append({"method": parts[1], "token": parts[0][3:], "body": payload, "at": time.time()})
        self.answer(200, {"ok": True, "result": {"message_id": message_id[0]}})


ThreadingHTTPServer.request_queue_size = 512  # a verifier asks about many references at once
ThreadingHTTPServer.daemon_threads = True
server = ThreadingHTTPServer((sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1", 0), Handler)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
server.serve_forever()
