"""The Jupyter project's kernel conformance suite (jupyter_kernel_test) run on the tunelab kernel.

Run by KernelProtocolTest (mvn test) with JUPYTER_PATH pointing at the kernelspec.
"""
import unittest

import jupyter_kernel_test


class TunelabConformance(jupyter_kernel_test.KernelTests):
    kernel_name = "tunelab"
    language_name = "java"
    file_extension = ".jshell"

    code_hello_world = 'System.out.println("hello, world");'
    code_stderr = 'System.err.println("something went wrong");'
    code_generate_error = 'throw new IllegalStateException("boom");'

    completion_samples = [
        {"text": "Math.sqr", "matches": {"sqrt("}},
        {"text": 'String s = "abc"; s.subs', "matches": {"substring("}},
    ]
    complete_code_samples = ["1 + 1", "int x = 1;", 'System.out.println("x");', "void f() {}"]
    incomplete_code_samples = ["for (int i = 0; i < 3; i++) {", "int f(int x) {", "String s = "]
    invalid_code_samples = ["int int int;", "}"]

    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"tune" + "lab"', "result": "tunelab"},
        {"code": "java.util.List.of(1, 2)", "result": "[1, 2]"},
    ]
    code_display_data = [
        {"code": 'display("shown");', "mime": "text/plain"},
        {"code": "display(new java.awt.image.BufferedImage(4, 4, 1));", "mime": "image/png"},
    ]
    code_history_pattern = "6 *"
    supported_history_operations = ("tail", "range", "search")
    code_inspect_sample = "Math.max"
    # code_page_something stays unset: pager payloads are deprecated in the messaging protocol
    # and optional; the kernel shows documentation through inspect_request instead.
    code_clear_output = 'System.out.println("gone");\nclearOutput();'


if __name__ == "__main__":
    unittest.main()
