"""bench/lib/watch_drain.py: watches a fake Cloud ALM until it has accepted a number of events.

One process for the whole drain, one kept-alive HTTPS connection: the shell loop it replaces started
curl and python every 0.2 s, about 45 ms of CPU each time, a fifth of one of the two cores the
bridge and the simulator being measured share (bench/README.md has the figures).

usage: watch_drain.py ALM_URL CA_FILE TOTAL PID SAMPLES_FILE [TIMEOUT_S]
Every 0.2 s: the accepted count from ALM_URL/sim/stats and PID's RSS (total and anonymous, MB),
one line "accepted:rss:anon" per sample in SAMPLES_FILE; a progress line every 10 s on stdout.
Exit 0 once TOTAL were accepted, 1 after TIMEOUT_S (default 600) or if PID is gone.
"""

import http.client
import json
import os
import ssl
import sys
import time
import urllib.parse

INTERVAL_S = 0.2
PRINT_EVERY_S = 10.0


def rss_mb(pid):
    """(total, anonymous) resident MB of pid, (0, 0) once it is gone."""
    total = anon = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    total = int(line.split()[1]) // 1024
                elif line.startswith("RssAnon:"):
                    anon = int(line.split()[1]) // 1024
    except OSError:
        pass
    return total, anon


class Stats:
    """GET /sim/stats over one connection, opened again if the simulator closed it."""

    def __init__(self, url, ca_file):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname, parts.port or 443
        self.context = ssl.create_default_context(cafile=ca_file)
        self.connection = None

    def accepted(self):
        for attempt in range(2):
            try:
                if self.connection is None:
                    self.connection = http.client.HTTPSConnection(
                        self.host, self.port, context=self.context, timeout=10)
                self.connection.request("GET", "/sim/stats")
                response = self.connection.getresponse()
                body = response.read()
                if response.status != 200:
                    raise OSError(f"/sim/stats answered {response.status}")
                return json.loads(body)["events_accepted"]
            except (OSError, http.client.HTTPException, ValueError):
                if self.connection is not None:
                    self.connection.close()
                self.connection = None
                if attempt == 1:
                    return None
        return None


def main():
    if len(sys.argv) not in (6, 7):
        print("usage: watch_drain.py ALM_URL CA_FILE TOTAL PID SAMPLES_FILE [TIMEOUT_S]", file=sys.stderr)
        return 2
    url, ca_file, total, pid, samples_path = sys.argv[1:6]
    total, pid = int(total), int(pid)
    timeout_s = float(sys.argv[6]) if len(sys.argv) == 7 else 600.0
    stats = Stats(url, ca_file)
    start = time.monotonic()
    last_print = -PRINT_EVERY_S
    accepted = 0
    with open(samples_path, "w") as samples:
        while time.monotonic() - start < timeout_s:
            time.sleep(INTERVAL_S)
            now = stats.accepted()
            accepted = accepted if now is None else now
            rss, anon = rss_mb(pid)
            samples.write(f"{accepted}:{rss}:{anon}\n")
            elapsed = time.monotonic() - start
            if elapsed - last_print >= PRINT_EVERY_S:
                print(f"  {elapsed:6.1f} s  accepted {accepted:8d}  bridge RSS {rss:4d} MB (anonymous {anon} MB)",
                      flush=True)
                last_print = elapsed
            if accepted >= total:
                return 0
            if not os.path.exists(f"/proc/{pid}"):
                print(f"the bridge (pid {pid}) is gone; accepted {accepted} of {total}", file=sys.stderr)
                return 1
    print(f"the backlog did not drain in {timeout_s:.0f} s (accepted {accepted} of {total})", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
