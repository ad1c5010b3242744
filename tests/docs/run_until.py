"""Runs a connector that would run until Ctrl-C (a stream source, a sink left running) until one of its
counters reaches a value, then stops it the way a user does (SIGTERM, as Ctrl-C's SIGINT) and exits
with the connector's own exit code, which the README promises is 0 ("Ctrl-C stops it cleanly").

  run_until.py --connector source|sink --until COUNTER=N [--timeout 90] -- COMMAND...

The counter is read from the connector's control plane with `tweetctl --json status` (tweetctl and its
address from the environment: DOCS_TWEETCTL, TWEETCTL_SOURCE / TWEETCTL_SINK, as docs_test.py sets them).
Exit 1 (after stopping the command) when the counter is not reached within --timeout, or when the command
ends by itself first; the command's exit code otherwise."""
import argparse
import json
import os
import signal
import subprocess
import sys
import time


def counter(tweetctl, connector, name):
    try:
        out = subprocess.run([tweetctl, "--timeout=2s", "--json", "status", connector],
                             capture_output=True, text=True, timeout=10).stdout
        return int(json.loads(out)[connector].get("counters", {}).get(name, 0))
    except (ValueError, KeyError, TypeError, subprocess.TimeoutExpired):
        return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--connector", choices=("source", "sink"), required=True)
    parser.add_argument("--until", required=True, help="COUNTER=N")
    parser.add_argument("--timeout", type=float, default=90)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    name, _, want = args.until.partition("=")
    want = int(want)
    tweetctl = os.environ["DOCS_TWEETCTL"]

    child = subprocess.Popen(command)
    deadline = time.monotonic() + args.timeout
    reached = None
    while time.monotonic() < deadline:
        if child.poll() is not None:
            print(f"run_until: {command[0]} ended by itself (exit {child.returncode}) before {name} >= {want}",
                  file=sys.stderr)
            return child.returncode or 1
        value = counter(tweetctl, args.connector, name)
        if value is not None and value >= want:
            reached = value
            break
        time.sleep(0.2)
    child.send_signal(signal.SIGTERM)
    try:
        rc = child.wait(timeout=90)
    except subprocess.TimeoutExpired:
        child.kill()
        print(f"run_until: {command[0]} did not stop within 90 s of SIGTERM", file=sys.stderr)
        return 1
    if reached is None:
        print(f"run_until: {name} did not reach {want} within {args.timeout:.0f} s; stopped it (exit {rc})",
              file=sys.stderr)
        return 1
    print(f"run_until: {args.connector} {name}={reached} (>= {want}); SIGTERM -> exit {rc}", file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
