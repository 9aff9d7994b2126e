"""What faultproxy.py and pcserver.py share: the HTTP server they run and the way they run it (on 127.0.0.1,
until SIGTERM, SIGINT or their time is up). Only the standard library."""
import signal
import threading
from http.server import ThreadingHTTPServer


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def serve(server, max_seconds, announce):
    """Serves server's requests on a daemon thread, calls announce(port) once it does, and waits for SIGTERM or
    SIGINT, max_seconds at most. Returns why it stopped waiting: the signal's name, or None when time was up."""
    stop = threading.Event()
    why = []

    def on_signal(signum, _frame):
        why.append(signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    announce(server.server_address[1])
    if not stop.wait(max_seconds):
        return None
    return why[0]
