"""Helpers shared by the interop scripts: a hard timeout, JSON-line output, byte encoding.

Every script reads one JSON object on stdin (its arguments) and prints JSON lines on
stdout, one per event, flushed at once so the test sees progress even if it kills us.
"""
import base64
import json
import os
import signal
import sys


def hard_timeout(seconds):
    """Kills the process after `seconds`, whatever it is blocked in (a stuck client must not hang the test)."""
    def expired(_signum, _frame):
        emit({"event": "timeout", "seconds": seconds})
        os._exit(3)
    signal.signal(signal.SIGALRM, expired)
    signal.alarm(int(seconds))


def read_args():
    """The JSON object the test wrote on stdin."""
    return json.loads(sys.stdin.readline())


def emit(obj):
    """Prints one JSON line and flushes it."""
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
    sys.stdout.flush()


def b64(data):
    """bytes -> base64 text (None stays None) so binary keys and values survive JSON exactly."""
    return None if data is None else base64.b64encode(bytes(data)).decode("ascii")


def unb64(text):
    """base64 text -> bytes (None stays None)."""
    return None if text is None else base64.b64decode(text)


def headers_out(headers):
    """[(name, bytes)] -> [[name, base64]] keeping order and duplicates."""
    return [[name, b64(value)] for name, value in (headers or [])]


def headers_in(headers):
    """[[name, base64]] -> [(name, bytes)]."""
    return [(name, unb64(value)) for name, value in (headers or [])]
