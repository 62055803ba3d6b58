"""Behaviour of the tunelab kernel over the real protocol (ZMQ, jupyter_client).

Interrupts, errors and their cell lines, System.exit, out-of-memory, display updates, rendering,
magics. The kernel runs with a bounded heap (TUNELAB_JAVA_OPTS=-Xmx256m set by
KernelProtocolTest) so the OOM test is fast.
"""
import os
import queue
import time
import unittest

from jupyter_client.manager import start_new_kernel

TIMEOUT = 60


class KernelBehaviour(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.km, cls.kc = start_new_kernel(kernel_name="tunelab", startup_timeout=TIMEOUT)

    @classmethod
    def tearDownClass(cls):
        cls.kc.stop_channels()
        cls.km.shutdown_kernel(now=True)

    def run_cell(self, code, interrupt_after=None, timeout=TIMEOUT):
        """Executes code; returns (reply content, iopub messages of this request)."""
        msg_id = self.kc.execute(code)
        if interrupt_after is not None:
            time.sleep(interrupt_after)
            self.km.interrupt_kernel()
        reply = self.kc.get_shell_msg(timeout=timeout)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = self.kc.get_shell_msg(timeout=timeout)
        outputs = []
        while True:
            msg = self.kc.get_iopub_msg(timeout=timeout)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
            outputs.append(msg)
        return reply["content"], outputs

    def of_type(self, outputs, msg_type):
        return [m for m in outputs if m["msg_type"] == msg_type]

    def assert_ok(self, reply, outputs=()):
        errors = [m["content"] for m in outputs if m["msg_type"] == "error"]
        self.assertEqual("ok", reply["status"], errors)

    def result_text(self, outputs):
        results = self.of_type(outputs, "execute_result")
        self.assertEqual(1, len(results), outputs)
        return results[0]["content"]["data"]["text/plain"]

    def test_state_and_result(self):
        reply, out = self.run_cell("int a = 20;\nint b = 22;")
        self.assert_ok(reply, out)
        reply, out = self.run_cell("a + b")
        self.assertEqual("42", self.result_text(out))

    def interrupt_then_next_cell_runs(self, code):
        started = time.time()
        reply, out = self.run_cell(code, interrupt_after=1.5)
        self.assertLess(time.time() - started, 30)
        self.assertEqual("error", reply["status"])
        errors = self.of_type(out, "error")
        self.assertEqual(1, len(errors))
        self.assertEqual("InterruptedException", errors[0]["content"]["ename"])
        reply, out = self.run_cell('"still alive"')
        self.assertEqual("still alive", self.result_text(out))

    def test_interrupt_busy_loop(self):
        self.interrupt_then_next_cell_runs("long n = 0;\nwhile (true) { n++; }")

    def test_interrupt_sleep(self):
        self.interrupt_then_next_cell_runs("Thread.sleep(120_000);")

    def test_exception_shows_user_class_and_kernel_stays_usable(self):
        declared, _ = self.run_cell("void check(int x) {\n  if (x < 0) throw new IllegalArgumentException(\"negative: \" + x);\n}")
        reply, out = self.run_cell("int y = 1;\ncheck(-3);")
        self.assertEqual("error", reply["status"])
        error = self.of_type(out, "error")[0]["content"]
        self.assertEqual("java.lang.IllegalArgumentException", error["ename"])
        self.assertEqual("negative: -3", error["evalue"])
        # the cells as the frontend labels them: In[<execution count>]
        self.assertEqual(["java.lang.IllegalArgumentException: negative: -3",
                          f"\tat check (In[{declared['execution_count']}], line 2)",
                          f"\tat In[{reply['execution_count']}], line 2"], error["traceback"])
        self.assertNotIn("ResultSlot", "\n".join(error["traceback"]))
        reply, out = self.run_cell("1 + 1")
        self.assertEqual("2", self.result_text(out))

    def test_compile_error_names_the_cell_line(self):
        reply, out = self.run_cell("int a1 = 1;\nString s1 = a1;")
        self.assertEqual("error", reply["status"])
        error = self.of_type(out, "error")[0]["content"]
        self.assertEqual("CompilationException", error["ename"])
        self.assertEqual(f"In[{reply['execution_count']}], line 2: error: incompatible types: int cannot be converted to java.lang.String",
                         error["traceback"][0])

    def test_declaration_waiting_for_a_name_is_noted_on_stderr(self):
        reply, out = self.run_cell("int twice() {\n  return 2 * notYet;\n}")
        self.assert_ok(reply, out)
        text = "".join(m["content"]["text"] for m in self.of_type(out, "stream"))
        self.assertEqual(f"In[{reply['execution_count']}], line 1: note: twice() cannot be invoked until variable notYet is declared\n", text)

    def test_system_exit_fails_the_cell_and_the_kernel_lives_on(self):
        self.run_cell("int before = 1;")
        reply, out = self.run_cell("before = 2;\nSystem.exit(1);")
        self.assertEqual("error", reply["status"])
        error = self.of_type(out, "error")[0]["content"]
        self.assertEqual("SystemExit", error["ename"])
        self.assertTrue(error["evalue"].startswith("System.exit(1) was called: the cell stops here;"), error["evalue"])
        self.assertEqual(f"\tat In[{reply['execution_count']}], line 2", error["traceback"][1])
        self.assertTrue(self.km.is_alive())
        reply, out = self.run_cell("before")
        self.assertEqual("2", self.result_text(out))

    def test_out_of_memory_is_reported_and_kernel_survives(self):
        for code in ("long[] big = new long[Integer.MAX_VALUE - 8];",
                     "var hog = new ArrayList<long[]>();\nwhile (true) hog.add(new long[1 << 20]);"):
            reply, out = self.run_cell(code)
            self.assertEqual("error", reply["status"], code)
            error = self.of_type(out, "error")[0]["content"]
            self.assertEqual("java.lang.OutOfMemoryError", error["ename"], code)
            self.assertIn("ran out of heap", error["evalue"])
            self.run_cell("hog = null;")
            reply, out = self.run_cell("new long[1000].length")
            self.assertEqual("1000", self.result_text(out))

    def test_stdout_and_stderr_streams(self):
        reply, out = self.run_cell('System.out.print("to out");\nSystem.err.println("to err");')
        self.assert_ok(reply, out)
        streams = {m["content"]["name"]: m["content"]["text"] for m in self.of_type(out, "stream")}
        self.assertEqual("to out", streams["stdout"])
        self.assertEqual("to err\n", streams["stderr"])

    def test_display_and_update_display(self):
        reply, out = self.run_cell('String id = display("first");\nupdateDisplay(id, "second");')
        self.assert_ok(reply, out)
        shown = self.of_type(out, "display_data")[0]["content"]
        updated = self.of_type(out, "update_display_data")[0]["content"]
        self.assertEqual("first", shown["data"]["text/plain"])
        self.assertEqual("second", updated["data"]["text/plain"])
        self.assertEqual(shown["transient"]["display_id"], updated["transient"]["display_id"])

    def test_progress_bar_updates_in_place(self):
        code = ("var bar = dev.tunelab.display.ProgressBar.start(\"train\", 3);\n"
                "for (int s = 1; s <= 3; s++) bar.step(s, Map.of(\"loss\", 1.0 / s));\nbar.finish();")
        reply, out = self.run_cell(code)
        self.assert_ok(reply, out)
        shown = self.of_type(out, "display_data")
        updates = self.of_type(out, "update_display_data")
        self.assertEqual(1, len(shown))
        self.assertGreaterEqual(len(updates), 1)
        last = updates[-1]["content"]
        self.assertEqual(shown[0]["content"]["transient"]["display_id"], last["transient"]["display_id"])
        self.assertIn("3/3", last["data"]["text/plain"])
        self.assertIn("width:100%", last["data"]["text/html"])

    def test_chart_result_is_png_and_svg_on_request(self):
        self.run_cell("var chart = new XYChartBuilder().width(320).height(200).title(\"loss\").build();\n"
                      "chart.addSeries(\"train\", new double[] {1, 2, 3}, new double[] {3, 2, 1});")
        reply, out = self.run_cell("chart")
        data = self.of_type(out, "execute_result")[0]["content"]["data"]
        self.assertIn("image/png", data)
        self.assertTrue(data["image/png"].startswith("iVBORw0KGgo"))  # base64 of the PNG signature
        reply, out = self.run_cell('display(chart, "image/svg+xml");')
        self.assertIn("<svg", self.of_type(out, "display_data")[0]["content"]["data"]["image/svg+xml"])

    def test_table_result_is_bounded_html(self):
        reply, out = self.run_cell('Table.create("t", IntColumn.indexColumn("i", 1000, 0))')
        data = self.of_type(out, "execute_result")[0]["content"]["data"]
        self.assertIn("<table", data["text/html"])
        self.assertIn("... 980 more rows", data["text/html"])
        self.assertIn("text/plain", data)

    def test_time_magic(self):
        reply, out = self.run_cell("%%time\nint t = 0; for (int i = 0; i < 1000; i++) t += i;\nt")
        self.assertEqual("499500", self.result_text(out))
        text = "".join(m["content"]["text"] for m in self.of_type(out, "stream"))
        self.assertIn("Wall time:", text)

    def test_maven_offline_from_local_repository(self):
        # junit 4.13.2 and its dependency hamcrest-core 1.3 are in the local repository of
        # machines that built this project with Maven (surefire uses them); offline works.
        repo = os.path.expanduser("~/.m2/repository/junit/junit/4.13.2/junit-4.13.2.jar")
        if not os.path.exists(repo):
            self.skipTest("junit 4.13.2 not in the local Maven repository")
        reply, out = self.run_cell("%maven junit:junit:4.13.2\norg.junit.Assert.class.getSimpleName()")
        self.assertEqual("Assert", self.result_text(out))
        reply, out = self.run_cell("org.hamcrest.CoreMatchers.class.getSimpleName()")
        self.assertEqual("CoreMatchers", self.result_text(out), "transitive dependency from the POM")

    def test_unknown_magic_is_a_clear_error(self):
        reply, out = self.run_cell("%nosuch thing")
        self.assertEqual("error", reply["status"])
        self.assertIn("not a magic", self.of_type(out, "error")[0]["content"]["evalue"])


class ExitOutsideTheCell(unittest.TestCase):
    """An exit the kernel cannot reroute (here through reflection) ends the kernel, answered first."""

    def test_the_cell_gets_its_error_reply_and_idle_before_the_kernel_ends(self):
        km, kc = start_new_kernel(kernel_name="tunelab", startup_timeout=TIMEOUT)
        try:
            msg_id = kc.execute('System.out.println("before");\nSystem.class.getMethod("exit", int.class).invoke(null, 3);')
            reply = kc.get_shell_msg(timeout=TIMEOUT)
            while reply["parent_header"].get("msg_id") != msg_id:
                reply = kc.get_shell_msg(timeout=TIMEOUT)
            self.assertEqual("error", reply["content"]["status"])
            self.assertEqual("SystemExit", reply["content"]["ename"])
            seen = []
            while not seen or seen[-1] != "idle":
                msg = kc.get_iopub_msg(timeout=TIMEOUT)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                seen.append(msg["msg_type"] if msg["msg_type"] != "status" else msg["content"]["execution_state"])
                if msg["msg_type"] == "stream":
                    self.assertEqual("before\n", msg["content"]["text"])
                if msg["msg_type"] == "error":
                    self.assertIn("the kernel process is ending", msg["content"]["evalue"])
            self.assertEqual(["busy", "execute_input", "stream", "error", "idle"], seen)
            deadline = time.time() + 30
            while km.is_alive() and time.time() < deadline:
                time.sleep(0.1)
            self.assertFalse(km.is_alive(), "the process ended")
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)


class ThreadDefault(unittest.TestCase):
    """The launcher gives libtorch one thread unless the user chose a count (README, kernel section)."""

    def omp_threads_in_kernel(self, env):
        km, kc = start_new_kernel(kernel_name="tunelab", startup_timeout=TIMEOUT, env=env)
        try:
            msg_id = kc.execute('String.valueOf(System.getenv("OMP_NUM_THREADS"))')
            while True:
                msg = kc.get_iopub_msg(timeout=TIMEOUT)
                if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "execute_result":
                    return msg["content"]["data"]["text/plain"]
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)

    def test_one_thread_unless_set(self):
        env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
        self.assertEqual("1", self.omp_threads_in_kernel(env))
        self.assertEqual("3", self.omp_threads_in_kernel({**env, "OMP_NUM_THREADS": "3"}))


if __name__ == "__main__":
    unittest.main()
