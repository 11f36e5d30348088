"""A local GOV.UK Notify API that checks each request's token with Notify's own decoder
(notifications-python-client's decode_jwt_token) and records what was sent.

Usage: notify_server.py SERVICE_ID SECRET. Prints the port it listens on, then serves:
POST /v2/notifications/sms (201 with Notify's answer, 403 for a bad token) and GET /recorded.
"""

import json
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from notifications_python_client.authentication import decode_jwt_token, get_token_issuer

SERVICE_ID, SECRET = sys.argv[1], sys.argv[2]
RECORDED = []
LOCK = threading.Lock()


class Notify(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path != "/recorded":
            return self.answer(404, {"errors": [{"error": "NotFound", "message": self.path}]})
        with LOCK:
            self.answer(200, RECORDED)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        authorization = self.headers.get("Authorization", "")
        token = authorization[len("Bearer "):] if authorization.startswith("Bearer ") else ""
        try:
            issuer = get_token_issuer(token)
            decode_jwt_token(token, SECRET)
            token_error = None if issuer == SERVICE_ID else "issuer is not the service"
        except Exception as error:  # the decoder's own errors, by class name
            token_error = type(error).__name__
        created = str(uuid.uuid4())
        with LOCK:
            RECORDED.append({"path": self.path, "token_error": token_error, "body": body, "id": created})
        if token_error:
            return self.answer(403, {"status_code": 403, "errors": [{"error": "AuthError", "message": token_error}]})
        if self.path != "/v2/notifications/sms":
            return self.answer(404, {"errors": [{"error": "NotFound", "message": self.path}]})
        self.answer(201, {
            "id": created,
            "reference": body.get("reference"),
            "content": {"body": body.get("personalisation", {}).get("message", ""), "from_number": "Eastbrook"},
            "uri": "http://localhost/v2/notifications/1",
            "template": {"id": body.get("template_id"), "version": 1, "uri": "http://localhost/t"},
        })


server = ThreadingHTTPServer(("127.0.0.1", 0), Notify)
print(server.server_address[1], flush=True)
server.serve_forever()
