"""Plays Twilio towards councilbot with the official `twilio` library.

Reads a JSON request on stdin: {"post_to": URL, "sign_as": URL, "token": AUTH_TOKEN,
"params": {...}, "mode": "signed" | "unsigned" | "tampered"}. Signs the parameters over
`sign_as` with twilio's RequestValidator (as Twilio signs its webhooks), posts them to
`post_to`, and prints {"status", "body", "messages", "same_as_library"}: the messages of the
TwiML answer, and whether that answer is the TwiML the library's MessagingResponse builds for
them.
"""

import json
import sys
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse


def canonical(element):
    return (element.tag, (element.text or "").strip(), sorted(element.attrib.items()),
            [canonical(child) for child in element])


def main():
    request = json.load(sys.stdin)
    params = request["params"]
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if request.get("mode", "signed") != "unsigned":
        headers["X-Twilio-Signature"] = RequestValidator(request["token"]).compute_signature(request["sign_as"], params)
    if request.get("mode") == "tampered":
        params = dict(params, Body=params.get("Body", "") + " and more")
    body = urllib.parse.urlencode(params).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(request["post_to"], data=body, headers=headers)) as answer:
            status, text, content_type = answer.status, answer.read().decode(), answer.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        status, text, content_type = error.code, error.read().decode(), error.headers.get("Content-Type", "")
    result = {"status": status, "body": text, "content_type": content_type, "messages": None, "same_as_library": None}
    if status == 200 and "xml" in content_type:
        root = ET.fromstring(text)
        messages = [message.text or "" for message in root.findall("Message")]
        expected = MessagingResponse()
        for message in messages:
            expected.message(message)
        result["messages"] = messages
        result["same_as_library"] = root.tag == "Response" and canonical(root) == canonical(ET.fromstring(str(expected)))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
