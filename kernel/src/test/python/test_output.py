"""Stream output under load, over the real protocol (ZMQ, jupyter_client).

A cell that floods stdout must deliver every line up to the per-cell limit, then a notice
that names how many lines were not shown, and always its idle status. Run by
KernelProtocolTest (mvn test).
"""
import os
import queue
import re
import time
import unittest

from jupyter_client.manager import start_new_kernel

TIMEOUT = 120


def start(**env):
    return start_new_kernel(kernel_name="tunelab", startup_timeout=60, env={**os.environ, **env})


def run_cell(kc, code, timeout=TIMEOUT):
    """Executes code; returns (reply, stdout, stderr, stream messages in order, idle seen)."""
    msg_id = kc.execute(code)
    out, err, streams, idle = [], [], [], False
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.time()))
        except queue.Empty:
            break
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            streams.append((msg["content"]["name"], msg["content"]["text"]))
            (out if msg["content"]["name"] == "stdout" else err).append(msg["content"]["text"])
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            idle = True
            break
    reply = kc.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=timeout)
    return reply["content"], "".join(out), "".join(err), streams, idle


def numbered(n):
    return "".join(f"line {i}\n" for i in range(n))


FLOOD = "for (int i = 0; i < 100_000; i++) System.out.println(\"line \" + i);"


class DefaultLimit(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        env = {k: "" for k in ("TUNELAB_OUTPUT_MAX_LINES", "TUNELAB_OUTPUT_MAX_CHARS")}
        cls.km, cls.kc = start(**env)

    @classmethod
    def tearDownClass(cls):
        cls.kc.stop_channels()
        cls.km.shutdown_kernel(now=True)

    def test_flood_shows_the_first_lines_then_a_notice_and_ends_idle(self):
        reply, out, err, streams, idle = run_cell(self.kc, FLOOD)
        self.assertTrue(idle, "idle status")
        self.assertEqual("ok", reply["status"])
        self.assertEqual(numbered(10_000), out, "every line up to the limit, in order")
        notice = re.search(r"output truncated: ([\d,]+) lines not shown", err)
        self.assertIsNotNone(notice, err)
        self.assertEqual(90_000, int(notice.group(1).replace(",", "")))
        self.assertIn("TUNELAB_OUTPUT_MAX_LINES", err)
        self.assertLess(len(streams), 100, "lines are sent in few messages")
        print(f"\n  default limit: {out.count(chr(10))} of 100,000 lines shown in {len(streams)} messages, "
              f"notice: {notice.group(0)!r}", flush=True)

    def test_exactly_the_limit_has_no_notice_and_the_next_cell_starts_afresh(self):
        reply, out, err, streams, idle = run_cell(self.kc, FLOOD.replace("100_000", "10_000"))
        self.assertTrue(idle)
        self.assertEqual(numbered(10_000), out)
        self.assertEqual("", err)
        reply, out, err, streams, idle = run_cell(self.kc, 'System.out.println("fresh");')
        self.assertEqual("fresh\n", out)

    def test_stdout_and_stderr_interleave_in_order(self):
        reply, out, err, streams, idle = run_cell(
            self.kc, 'System.out.println("a");\nSystem.err.println("b");\nSystem.out.println("c");')
        self.assertEqual([("stdout", "a\n"), ("stderr", "b\n"), ("stdout", "c\n")], streams)


class NoLimit(unittest.TestCase):
    """With the limits off, back-pressure alone must keep every line."""

    @classmethod
    def setUpClass(cls):
        cls.km, cls.kc = start(TUNELAB_OUTPUT_MAX_LINES="0", TUNELAB_OUTPUT_MAX_CHARS="0")

    @classmethod
    def tearDownClass(cls):
        cls.kc.stop_channels()
        cls.km.shutdown_kernel(now=True)

    def test_every_line_of_a_flood_arrives(self):
        reply, out, err, streams, idle = run_cell(self.kc, FLOOD)
        self.assertTrue(idle, "idle status")
        self.assertEqual("ok", reply["status"])
        self.assertEqual(numbered(100_000), out)
        self.assertEqual("", err)
        print(f"\n  no limit: {out.count(chr(10))} of 100,000 lines in {len(streams)} messages", flush=True)

    def test_thousands_of_messages_wait_for_a_slow_client_instead_of_being_dropped(self):
        # Alternating streams cannot be merged: 20,000 messages, far beyond ZeroMQ's queues
        # (1,000 messages at each end) and the socket buffers, while the client reads nothing
        # for two seconds. A dropping IOPub socket loses lines and the idle status here.
        code = "for (int i = 0; i < 10_000; i++) { System.out.println(i); System.err.println(i); }"
        msg_id = self.kc.execute(code)
        time.sleep(2)
        lines = {"stdout": [], "stderr": []}
        idle = False
        while not idle:
            try:
                msg = self.kc.get_iopub_msg(timeout=60)
            except queue.Empty:
                self.fail(f"no idle status; {len(lines['stdout'])} + {len(lines['stderr'])} stream messages arrived")
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                lines[msg["content"]["name"]].append(msg["content"]["text"])
            idle = msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle"
        expected = "".join(f"{i}\n" for i in range(10_000))
        self.assertEqual(expected, "".join(lines["stdout"]))
        self.assertEqual(expected, "".join(lines["stderr"]))


if __name__ == "__main__":
    unittest.main()
