#!/usr/bin/env python3
"""Runs a command on a new pseudo-terminal, its controlling terminal (so that
/dev/tty is the pty), and types answers to its prompts: whenever the output
since the last answer ends with ": ", the next answer and a newline are typed.

  pty_answer.py ANSWER... -- COMMAND ARG...

Prints what the command wrote (prompts, stdout and stderr, all on the pty) and
exits with the command's exit code; 125 when it still waits after the answers
ran out (it is killed then), 126 when it ran longer than 120 s.
"""
import os
import pty
import select
import signal
import sys
import time


def main() -> int:
    sep = sys.argv.index("--")
    answers = sys.argv[1:sep]
    cmd = sys.argv[sep + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(cmd[0], cmd)
    out = b""
    pending = b""
    code = None
    started = time.time()
    idle_since = time.time()
    while True:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:  # EIO: the command closed the pty (exited)
                break
            if not data:
                break
            out += data
            pending += data
            idle_since = time.time()
            if pending.endswith(b": "):
                if not answers:
                    # Give it a moment: this may be an error line, not a prompt.
                    continue
                os.write(fd, answers.pop(0).encode() + b"\n")
                pending = b""
        elif pending.endswith(b": ") and not answers and time.time() - idle_since > 3:
            os.kill(pid, signal.SIGKILL)
            code = 125
            break
        if time.time() - started > 120:
            os.kill(pid, signal.SIGKILL)
            code = 126
            break
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(out.decode("utf-8", "replace"))
    if code is not None:
        return code
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 124


if __name__ == "__main__":
    sys.exit(main())
